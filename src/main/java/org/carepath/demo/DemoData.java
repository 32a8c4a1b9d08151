package org.carepath.demo;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import ca.uhn.fhir.context.FhirContext;
import org.carepath.interaction.ResourceInteractions;
import org.carepath.interaction.TransactionRunner;
import org.carepath.interaction.WriteResult;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Procedure;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Two demo patients for local trials ({@code carepath.demo-data=true}, which {@code scripts/run}
 * sets when it runs with security off), written through the same interactions as the FHIR API,
 * so enrolment and monitoring do to them what they do to any patient:
 * <ul>
 * <li>Ann, whose SI joint fusion is 10 days away: enrolment plans her preparation, due today;</li>
 * <li>Ben, 40 days after his: pre-surgery pain score and ODI, daily check-ins with his pain going
 * down, and the ODI at one month, so his progress chart has points.</li>
 * </ul>
 * Dates are relative to the day they are first written. Once per database: a patient whose
 * identifier exists is left alone, so restarts add nothing. Codes come from the domain file
 * (CPT 27279, ICD-10-PCS 0SG73JZ, ICD-10-CM M46.1, SNOMED CT 55146009) and the pathway's content.
 */
@Component
@ConditionalOnProperty(name = "carepath.demo-data", havingValue = "true")
public class DemoData {

    private static final Logger log = LoggerFactory.getLogger(DemoData.class);
    static final String IDENTIFIER_SYSTEM = "urn:carepath:demo";
    static final String CHECK_IN = "https://carepath.org/fhir/Questionnaire/recovery-check-in";
    static final String PAIN_NRS = "https://carepath.org/fhir/Questionnaire/pain-nrs";
    static final String ODI = "https://carepath.org/fhir/Questionnaire/oswestry-disability-index";
    static final String[] ODI_SECTIONS = {"odi-pain-intensity", "odi-personal-care", "odi-lifting", "odi-walking",
        "odi-sitting", "odi-standing", "odi-sleeping", "odi-sex-life", "odi-social-life", "odi-travelling"};
    /** Ben's recovery check-ins: day after surgery and pain score (0-10), going down. */
    static final int[][] BEN_CHECK_INS = {{1, 7}, {3, 7}, {6, 6}, {10, 6}, {14, 5}, {20, 5}, {27, 4}, {34, 4}, {39, 3}};

    private final ResourceInteractions interactions;
    private final TransactionRunner transactions;
    private final FhirContext fhir;

    DemoData(ResourceInteractions interactions, TransactionRunner transactions, FhirContext fhir) {
        this.interactions = interactions;
        this.transactions = transactions;
        this.fhir = fhir;
    }

    /** After start-up (the pathway content is loaded by then), before the server reports ready. */
    @EventListener(ApplicationReadyEvent.class)
    public void onReady() {
        List<String> written = load();
        log.info("Demo data: {}", written.isEmpty() ? "already there" : "wrote " + String.join(", ", written));
    }

    /** @return the demo patients written now (none when they were there already) */
    public List<String> load() {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        List<String> written = new ArrayList<>();
        if (ann(today)) {
            written.add("Ann (surgery in 10 days)");
        }
        if (ben(today)) {
            written.add("Ben (40 days after surgery)");
        }
        return written;
    }

    private boolean ann(LocalDate today) {
        return transactions.write(() -> {
            String patient = createPatient("ann", "Ann", "Demo-Patel", "female", "1968-04-12");
            if (patient == null) {
                return false;
            }
            String condition = create(condition(patient));
            create(surgery(patient, condition, "ann", today.plusDays(10), "preparation"));
            return true;
        });
    }

    private boolean ben(LocalDate today) {
        return transactions.write(() -> {
            String patient = createPatient("ben", "Ben", "Demo-Okafor", "male", "1961-09-30");
            if (patient == null) {
                return false;
            }
            LocalDate surgeryDay = today.minusDays(40);
            String condition = create(condition(patient));
            // Scheduled first (that enrols him; what is already past is recorded, not asked),
            // then recorded as performed on that day, as an EHR would.
            String surgery = create(surgery(patient, condition, "ben", surgeryDay, "preparation"));
            create(painScore(patient, surgeryDay.minusDays(7), 8));
            create(odi(patient, surgeryDay.minusDays(7), new int[] {3, 3, 3, 2, 3, 3, 2, 3, 3, 3}));
            Procedure performed = (Procedure) parse(surgery(patient, condition, "ben", surgeryDay, "completed"));
            performed.setId(surgery);
            interactions.update("Procedure", surgery, performed, null);
            for (int[] checkIn : BEN_CHECK_INS) {
                create(checkIn(patient, surgeryDay.plusDays(checkIn[0]), checkIn[1]));
            }
            create(odi(patient, surgeryDay.plusDays(30), new int[] {2, 2, 2, 1, 2, 2, 1, 2, 2, 2}));
            return true;
        });
    }

    /** The patient's id, or null when a demo patient with this key exists already. */
    private String createPatient(String key, String given, String family, String gender, String birthDate) {
        interactions.lock("demo-data:" + key);
        WriteResult result = interactions.create(parse("""
                {"resourceType":"Patient",
                 "identifier":[{"system":"%s","value":"%s"}],
                 "name":[{"family":"%s","given":["%s"]}],
                 "gender":"%s","birthDate":"%s"}""".formatted(IDENTIFIER_SYSTEM, key, family, given, gender, birthDate)),
                "identifier=" + IDENTIFIER_SYSTEM + "|" + key);
        return result.created() ? result.id() : null;
    }

    private static String condition(String patient) {
        return """
                {"resourceType":"Condition",
                 "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},
                 "verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"confirmed"}]},
                 "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"M46.1","display":"Sacroiliitis, not elsewhere classified"},
                                   {"system":"http://snomed.info/sct","code":"55146009","display":"Sacroiliitis"}],
                         "text":"Sacroiliitis (right SI joint)"},
                 "subject":{"reference":"Patient/%s"}}""".formatted(patient);
    }

    private static String surgery(String patient, String condition, String key, LocalDate day, String status) {
        return """
                {"resourceType":"Procedure",
                 "meta":{"profile":["https://carepath.org/fhir/StructureDefinition/si-fusion-procedure"]},
                 "extension":[{"url":"https://carepath.org/fhir/StructureDefinition/si-fusion-approach",
                   "valueCoding":{"system":"https://carepath.org/fhir/CodeSystem/pathway","code":"minimally-invasive","display":"Minimally invasive"}}],
                 "identifier":[{"system":"%s","value":"%s-surgery"}],
                 "status":"%s",
                 "code":{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"27279",
                     "display":"Percutaneous/minimally invasive SI joint arthrodesis with device across the joint"},
                   {"system":"http://www.cms.gov/Medicare/Coding/ICD10","code":"0SG73JZ",
                     "display":"Fusion of right sacroiliac joint, percutaneous, with synthetic substitute"}],
                   "text":"Minimally invasive right SI joint fusion"},
                 "subject":{"reference":"Patient/%s"},
                 "performedDateTime":"%s",
                 "reasonReference":[{"reference":"Condition/%s"}],
                 "bodySite":[{"coding":[{"system":"https://carepath.org/fhir/CodeSystem/pathway","code":"right-si-joint",
                   "display":"Right sacroiliac joint"}]}]}""".formatted(IDENTIFIER_SYSTEM, key, status, patient, day, condition);
    }

    private static String painScore(String patient, LocalDate day, int score) {
        return response(PAIN_NRS, patient, day, """
                [{"linkId":"pain-score","answer":[{"valueInteger":%d}]}]""".formatted(score));
    }

    private static String odi(String patient, LocalDate day, int[] answers) {
        StringBuilder sections = new StringBuilder();
        for (int i = 0; i < ODI_SECTIONS.length; i++) {
            sections.append(i == 0 ? "" : ",").append("""
                    {"linkId":"%s","answer":[{"valueCoding":{"system":"https://carepath.org/fhir/CodeSystem/odi-response","code":"%d"}}]}"""
                    .formatted(ODI_SECTIONS[i], answers[i]));
        }
        // The score is left for the server to compute from the Questionnaire's expression.
        return response(ODI, patient, day, "[{\"linkId\":\"odi-sections\",\"item\":[" + sections + "]}]");
    }

    private static String checkIn(String patient, LocalDate day, int pain) {
        StringBuilder items = new StringBuilder("{\"linkId\":\"temperature\",\"answer\":[{\"valueDecimal\":36.9}]}");
        for (String sign : List.of("fever", "wound-redness-swelling-drainage", "joint-warmth-swelling",
                "leg-numbness-weakness", "bowel-bladder-change", "calf-pain-swelling", "chest-pain-breathless",
                "pain-uncontrolled")) {
            items.append(",{\"linkId\":\"").append(sign).append("\",\"answer\":[{\"valueBoolean\":false}]}");
        }
        items.append(",{\"linkId\":\"pain-score\",\"answer\":[{\"valueInteger\":").append(pain).append("}]}");
        return response(CHECK_IN, patient, day, "[" + items + "]");
    }

    private static String response(String questionnaire, String patient, LocalDate day, String items) {
        return """
                {"resourceType":"QuestionnaireResponse","questionnaire":"%s","status":"completed",
                 "subject":{"reference":"Patient/%s"},"source":{"reference":"Patient/%s"},
                 "authored":"%sT18:00:00Z","item":%s}""".formatted(questionnaire, patient, patient, day, items);
    }

    private String create(String json) {
        return interactions.create(parse(json), null).id();
    }

    private IBaseResource parse(String json) {
        return fhir.newJsonParser().parseResource(json);
    }
}
