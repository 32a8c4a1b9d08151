package org.carepath.fhir;

import java.io.IOException;

import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The body limit holds for bodies without Content-Length, which an end-to-end test cannot send reliably. */
class RequestSizeLimitTest {

    private final RequestSizeLimit limit = new RequestSizeLimit(10);

    private static MockHttpServletRequest withDeclaredLength(long length) {
        return new MockHttpServletRequest() {
            @Override
            public long getContentLengthLong() {
                return length;
            }
        };
    }

    @Test
    void aBodyWithinTheLimitReadsWhole() throws IOException {
        var request = new MockHttpServletRequest();
        request.setContent("0123456789".getBytes());
        assertThat(limit.limit(request).getInputStream().readAllBytes()).hasSize(10);
    }

    @Test
    void readingPastTheLimitFailsAndBecomes413() {
        var request = withDeclaredLength(-1); // chunked: no Content-Length
        request.setContent("0123456789X".getBytes());
        assertThatThrownBy(() -> limit.limit(request).getInputStream().readAllBytes())
                .isInstanceOf(PayloadTooLarge.class)
                .satisfies(e -> {
                    BaseServerResponseException translated = new ErrorTranslation().translate(e);
                    assertThat(translated.getStatusCode()).isEqualTo(413);
                    assertThat(translated.getMessage()).contains("10 bytes");
                });
    }

    @Test
    void aDeclaredLengthOverTheLimitFailsBeforeAnythingIsRead() {
        var request = withDeclaredLength(1000);
        request.setContent(new byte[0]);
        assertThatThrownBy(() -> limit.limit(request).getInputStream()).isInstanceOf(PayloadTooLarge.class);
    }
}
