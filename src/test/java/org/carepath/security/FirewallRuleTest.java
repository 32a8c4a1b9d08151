package org.carepath.security;

import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The firewall's header and parameter rule, tested without a regex, allows exactly what Spring's pattern allows. */
class FirewallRuleTest {

    /** StrictHttpFirewall's own default (Spring Security 6.5). */
    private static final Pattern SPRING = Pattern.compile("[\\p{IsAssigned}&&[^\\p{IsControl}]]*");

    @Test
    void everyCodePointIsJudgedAsSpringsPatternJudgesIt() {
        for (int codePoint = 0; codePoint <= Character.MAX_CODE_POINT; codePoint++) {
            String text = "a" + new String(Character.toChars(codePoint)) + "z";
            assertThat(SecurityConfig.assignedAndNotControl(text)).as("U+%04X", codePoint)
                    .isEqualTo(SPRING.matcher(text).matches());
        }
    }

    @Test
    void typicalAndHostileHeaderValuesToo() {
        for (String text : new String[] {"", "application/fhir+json", "Bearer eyJhbGciOi.x-y_z", "W/\"3\"",
                "text/html; q=0.9, */*", "naïve café", "\uD83D\uDE00", "\uD800", "\uDC00x", "tab\tin", "line\nfeed",
                "nul\u0000", "del\u007F", "c1\u0085", "\uFFFF", "\u0378"}) {
            assertThat(SecurityConfig.assignedAndNotControl(text)).as(text).isEqualTo(SPRING.matcher(text).matches());
        }
    }
}
