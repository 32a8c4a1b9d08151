package org.carepath.fhir;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.PreferReturnEnum;
import ca.uhn.fhir.rest.api.RequestTypeEnum;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.carepath.EndToEndTest;
import org.carepath.interaction.BundleInteractions;
import org.carepath.pathway.PathwayPlans;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.BundleEntryComponent;
import org.hl7.fhir.r4.model.Bundle.HTTPVerb;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DecimalType;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.IntegerType;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.Type;
import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The project's own request handling below HAPI's parser, on any input, against the real database:
 * transaction and batch Bundles ({@link BundleInteractions}) and $apply parameters
 * ({@link PlanDefinitionApplyProvider}, down to the surgery date and the pathway parameters). A client
 * mistake must be a 4xx (HAPI's exceptions); anything else escaping (NullPointerException,
 * DateTimeException, ArithmeticException, ...) would reach the client as a 500, and is a finding.
 *
 * <p>Without JAZZER_FUZZ this replays the inputs under
 * {@code src/test/resources/org/carepath/fhir/RequestFuzzITInputs}; docs/hardening.md tells how to
 * fuzz for real.
 */
class RequestFuzzIT extends EndToEndTest {

    private static final String[] TYPES = {"Patient", "Procedure", "Observation", "Banana", ""};
    private static final String[] FULL_URLS = {"urn:uuid:3f1c1e0e-8a5b-4c52-9a55-1b2c3d4e5f60",
            "urn:uuid:0b5a2c7e-1d1f-4f33-9d0e-7c6b5a4f3e21", "http://example.org/fhir/Patient/x"};
    private static final String[] PATHWAY_PARAMETERS = {"weightBearingLimitWeeks", "fastingHours",
            "usualActivitiesMonths", "checkInIntervalDays", "antisepticShowerHours", "liftingLimitKg", "minPainScore"};
    private static final String SI_FUSION_CPT = "27279";

    @Autowired
    BundleInteractions bundles;
    @Autowired
    PathwayPlans plans;
    @Autowired
    org.carepath.interaction.ResourceInteractions interactions;
    @Autowired
    FhirContext fhirContext;

    private String patientId;

    @FuzzTest(maxDuration = "3m")
    void anyTransactionOrBatchIsProcessedOrRefusedWithA4xx(FuzzedDataProvider data) {
        allowDatabaseConnections();
        Bundle bundle = new Bundle();
        int kind = data.consumeInt(0, 3);
        bundle.setType(kind == 0 ? Bundle.BundleType.BATCH : kind == 3 ? Bundle.BundleType.COLLECTION
                : Bundle.BundleType.TRANSACTION);
        int entries = data.consumeInt(0, 4);
        for (int i = 0; i < entries; i++) {
            bundle.addEntry(entry(data));
        }
        PreferReturnEnum prefer = data.pickValue(PreferReturnEnum.values());
        try {
            Bundle response = bundles.process(bundle, prefer);
            for (BundleEntryComponent out : response.getEntry()) {
                assertThat(out.getResponse().getStatus()).as("entry status").doesNotStartWith("5");
            }
        } catch (BaseServerResponseException e) {
            assertThat(e.getStatusCode()).as("status of %s", e).isBetween(400, 499);
        }
    }

    @FuzzTest(maxDuration = "3m")
    void anyApplyParametersPlanOrAreRefusedWithA4xx(FuzzedDataProvider data) {
        allowDatabaseConnections();
        PlanDefinitionApplyProvider apply = new PlanDefinitionApplyProvider(fhirContext, plans);
        SystemRequestDetails request = new SystemRequestDetails();
        request.setServer(server()); // what a real request knows: the FhirContext for content negotiation
        Map<String, String[]> query = new LinkedHashMap<>();
        boolean post = data.consumeBoolean();
        IdType id = switch (data.consumeInt(0, 2)) {
            case 0 -> new IdType("PlanDefinition", "si-joint-fusion");
            case 1 -> null;
            default -> new IdType("PlanDefinition", data.consumeString(20));
        };
        if (id == null) {
            query.put("url", new String[] {data.consumeBoolean() ? PathwayPlans.PATHWAY : data.consumeString(40)});
        }
        String subject = data.consumeBoolean() ? "Patient/" + patient() : data.consumeString(30);
        String surgeryDate = data.consumeBoolean() ? null : data.consumeString(40);
        String timezone = data.consumeBoolean() ? null
                : data.consumeBoolean() ? data.pickValue(new String[] {"Europe/Berlin", "America/New_York", "UTC"})
                : data.consumeString(20);
        Parameters body = new Parameters();
        Parameters nested = null;
        if (post) {
            body.addParameter().setName("subject").setValue(new Reference(subject));
            if (surgeryDate != null) {
                body.addParameter().setName("surgeryDate").setValue(new StringType(surgeryDate));
            }
            if (timezone != null) {
                body.addParameter().setName("timezone").setValue(new StringType(timezone));
            }
        } else {
            query.put("subject", new String[] {subject});
            if (surgeryDate != null) {
                query.put("surgeryDate", new String[] {surgeryDate});
            }
            if (timezone != null) {
                query.put("timezone", new String[] {timezone});
            }
        }
        int overrides = data.consumeInt(0, 3);
        for (int i = 0; i < overrides; i++) {
            String name = data.consumeBoolean() ? data.pickValue(PATHWAY_PARAMETERS) : data.consumeString(20);
            if (post) {
                Parameters target = body;
                if (data.consumeBoolean()) {
                    nested = nested == null ? new Parameters() : nested;
                    target = nested;
                }
                target.addParameter().setName(name).setValue(value(data));
            } else {
                query.put(name, new String[] {data.consumeString(30)});
            }
        }
        if (nested != null) {
            body.addParameter().setName("parameters").setResource(nested);
        }
        request.setParameters(query);
        request.setRequestType(post ? RequestTypeEnum.POST : RequestTypeEnum.GET);
        if (post) {
            request.addHeader("Content-Type", "application/fhir+json");
            // encoded leniently: what a client sends may be wrong, and the provider must say so
            request.setRequestContents(fhirContext.newJsonParser()
                    .setParserErrorHandler(new ca.uhn.fhir.parser.LenientErrorHandler(false))
                    .encodeResourceToString(body).getBytes(StandardCharsets.UTF_8));
        }
        try {
            assertThat(apply.apply(id, request).getActivity()).isNotEmpty();
        } catch (BaseServerResponseException e) {
            assertThat(e.getStatusCode()).as("status of %s", e).isBetween(400, 499);
        }
    }

    private ca.uhn.fhir.rest.server.RestfulServer server;

    private ca.uhn.fhir.rest.server.RestfulServer server() {
        if (server == null) {
            server = new ca.uhn.fhir.rest.server.RestfulServer(fhirContext);
        }
        return server;
    }

    /** One patient for the $apply inputs to plan for, made on first use. */
    private String patient() {
        if (patientId == null) {
            Patient patient = new Patient();
            patient.addName().setFamily("Fuzz");
            patientId = interactions.create(patient, null).id();
        }
        return patientId;
    }

    /**
     * The connection pool may open connections to the local database while fuzzing; Jazzer's
     * SSRF detector still reports a connection anywhere else.
     */
    private static void allowDatabaseConnections() {
        BugDetectors.allowNetworkConnections((host, port) -> host.equals("localhost") || host.equals("127.0.0.1"));
    }

    private static Type value(FuzzedDataProvider data) {
        return switch (data.consumeInt(0, 5)) {
            case 0 -> new StringType(data.consumeString(30));
            case 1 -> new IntegerType(data.consumeInt());
            case 2 -> new DecimalType(new java.math.BigDecimal(java.math.BigInteger.valueOf(data.consumeLong()),
                    data.consumeInt(-400, 400)));
            case 3 -> new Quantity().setValue(new java.math.BigDecimal(java.math.BigInteger.valueOf(data.consumeLong()),
                    data.consumeInt(-30, 30))).setCode(data.consumeString(5));
            case 4 -> new CodeableConcept().setText(data.consumeString(20));
            default -> new Reference(data.consumeString(20));
        };
    }

    private BundleEntryComponent entry(FuzzedDataProvider data) {
        BundleEntryComponent entry = new BundleEntryComponent();
        if (data.consumeBoolean()) {
            entry.setFullUrl(data.consumeBoolean() ? data.pickValue(FULL_URLS) : data.consumeString(40));
        }
        int method = data.consumeInt(0, HTTPVerb.values().length);
        if (method < HTTPVerb.values().length) {
            entry.getRequest().setMethod(HTTPVerb.values()[method]);
        }
        String type = data.pickValue(TYPES);
        String url = switch (data.consumeInt(0, 3)) {
            case 0 -> type;
            case 1 -> type + "/" + data.consumeString(20);
            case 2 -> type + "?" + data.consumeString(60);
            default -> data.consumeString(60);
        };
        if (data.consumeBoolean()) {
            entry.getRequest().setUrl(url);
        }
        if (data.consumeBoolean()) {
            entry.getRequest().setIfMatch(data.consumeString(12));
        }
        if (data.consumeBoolean()) {
            entry.getRequest().setIfNoneExist(data.consumeString(40));
        }
        if (data.consumeBoolean()) {
            entry.setResource(resource(data));
        }
        return entry;
    }

    private Resource resource(FuzzedDataProvider data) {
        Reference subject = new Reference(data.consumeBoolean() ? data.pickValue(FULL_URLS)
                : data.consumeBoolean() ? "Patient/" + patient() : data.consumeString(40));
        Resource resource = switch (data.consumeInt(0, 2)) {
            case 0 -> {
                Patient patient = new Patient();
                patient.addName().setFamily("Fuzz" + data.consumeString(10));
                yield patient;
            }
            case 1 -> {
                // An SI joint fusion in preparation: its date, when valid, enrols the patient.
                Procedure procedure = new Procedure();
                procedure.setStatus(data.consumeBoolean() ? Procedure.ProcedureStatus.PREPARATION
                        : data.pickValue(Procedure.ProcedureStatus.values()));
                procedure.getCode().addCoding().setSystem("http://www.ama-assn.org/go/cpt").setCode(SI_FUSION_CPT);
                procedure.setSubject(subject);
                String date = data.consumeString(40);
                try {
                    procedure.setPerformed(new DateTimeType(date));
                } catch (RuntimeException invalid) {
                    // HAPI's parser refuses such a date before it reaches the project's code
                }
                yield procedure;
            }
            default -> {
                Observation observation = new Observation();
                observation.setStatus(Observation.ObservationStatus.FINAL);
                observation.getCode().setText("fuzz");
                observation.setSubject(subject);
                yield observation;
            }
        };
        if (data.consumeBoolean()) {
            resource.setId(data.consumeString(20));
        }
        return resource;
    }
}
