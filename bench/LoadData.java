// Data generator and loader for the CarePath benchmark. JDK only, runs without a build:
//
//   java bench/LoadData.java --base http://localhost:8080/fhir --patients 1000 --clients 4 \
//        --offset 0 --ids-file bench/results/ids.txt
//   java bench/LoadData.java --base ... --paging 10000 --ids-file bench/results/paging.txt
//
// Posts one transaction Bundle per patient, shaped like the SI joint fusion pathway: Patient,
// Condition (M46.1), Procedure (CPT 27279, scheduled or performed), the CarePlan and Tasks that
// enrolment would create (posted by the loader itself: the server does not enrol yet), check-in
// QuestionnaireResponses, Observations (pain score, temperature) and sometimes a Flag.
// Everything about patient number i comes from a Random seeded with i, so a run is reproducible
// whatever the number of clients. Appends "patientId carePlanId" lines to --ids-file and prints
// one summary line: "patients=.. resources=.. seconds=.. resources_per_s=.. errors=..".
//
// Sends Prefer: return=minimal (--minimal false for the server's default, which echoes every
// resource in the transaction-response).
//
// --paging N instead creates one patient with N pain-score Observations (bundles of 500), for the
// paging measurement, and writes that patient's id to --ids-file.

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class LoadData {

    static final String PLAN = "https://carepath.org/fhir/PlanDefinition/si-joint-fusion";
    static final String CHECK_IN = "https://carepath.org/fhir/Questionnaire/recovery-check-in";
    static final LocalDate FIRST_SURGERY = LocalDate.of(2025, 9, 1);
    static final Pattern LOCATION = Pattern.compile("\"location\"\\s*:\\s*\"(?:[^\"]*/)?([A-Za-z]+)/([^/\"]+)");

    static String base = "http://localhost:8080/fhir";
    static HttpClient http;
    static boolean minimal = true;   // Prefer: return=minimal, so the response carries no resource bodies

    public static void main(String[] args) throws Exception {
        int patients = 1000, clients = 1, offset = 0, paging = 0;
        String idsFile = null;
        for (int i = 0; i < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--base" -> base = v.replaceAll("/$", "");
                case "--patients" -> patients = Integer.parseInt(v);
                case "--clients" -> clients = Integer.parseInt(v);
                case "--offset" -> offset = Integer.parseInt(v);
                case "--ids-file" -> idsFile = v;
                case "--paging" -> paging = Integer.parseInt(v);
                case "--minimal" -> minimal = Boolean.parseBoolean(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        if (paging > 0) {
            loadPaging(paging, idsFile);
            return;
        }

        AtomicInteger next = new AtomicInteger(offset);
        int end = offset + patients;
        AtomicLong resources = new AtomicLong();
        AtomicInteger errors = new AtomicInteger();
        List<String> ids = java.util.Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        for (int c = 0; c < clients; c++) {
            pool.submit(() -> {
                for (int i = next.getAndIncrement(); i < end; i = next.getAndIncrement()) {
                    try {
                        Patient p = patient(i);
                        HttpResponse<String> r = post(p.bundle);
                        if (r.statusCode() != 200) {
                            if (errors.getAndIncrement() < 3) {
                                System.err.println("patient " + i + ": HTTP " + r.statusCode() + " " + abbreviate(r.body()));
                            }
                            continue;
                        }
                        resources.addAndGet(p.count);
                        String patientId = null, carePlanId = null;
                        Matcher m = LOCATION.matcher(r.body());
                        while (m.find()) {
                            if (m.group(1).equals("Patient") && patientId == null) patientId = m.group(2);
                            if (m.group(1).equals("CarePlan") && carePlanId == null) carePlanId = m.group(2);
                        }
                        ids.add(patientId + " " + carePlanId);
                    } catch (Exception e) {
                        if (errors.getAndIncrement() < 3) System.err.println("patient " + i + ": " + e);
                    }
                }
                return null;
            });
        }
        pool.shutdown();
        if (!pool.awaitTermination(6, TimeUnit.HOURS)) {
            pool.shutdownNow();
            System.err.println("timed out");
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (idsFile != null) {
            Files.write(Path.of(idsFile), ids, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
        System.out.printf("patients=%d resources=%d seconds=%.1f resources_per_s=%.0f patients_per_s=%.1f errors=%d%n",
                ids.size(), resources.get(), seconds, resources.get() / seconds, ids.size() / seconds, errors.get());
        if (errors.get() > 0) System.exit(1);
    }

    static HttpResponse<String> post(String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base))
                .timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/fhir+json")
                .header("Accept", "application/fhir+json")
                .header("Prefer", minimal ? "return=minimal" : "return=representation")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    static String abbreviate(String s) {
        return s.length() > 400 ? s.substring(0, 400) + "..." : s;
    }

    record Patient(String bundle, int count) {
    }

    /** Builds patient number i's transaction Bundle. */
    static Patient patient(int i) {
        Random rnd = new Random(1_000_003L * i + 17);
        Bundle b = new Bundle(rnd);
        String pt = b.uuid(), cond = b.uuid(), proc = b.uuid(), plan = b.uuid();
        LocalDate surgery = FIRST_SURGERY.plusDays(rnd.nextInt(300));
        boolean performed = rnd.nextInt(10) < 7;
        String[] given = {"Ann", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Hana"};
        String[] family = {"Smith", "Jones", "Garcia", "Nguyen", "Okafor", "Kowalski", "Silva", "Berg"};

        b.add(pt, "Patient", """
                {"resourceType":"Patient","identifier":[{"system":"https://carepath.org/fhir/mrn","value":"MRN-%08d"}],
                 "name":[{"family":"%s","given":["%s"]}],"gender":"%s","birthDate":"%s"}"""
                .formatted(i, family[rnd.nextInt(family.length)], given[rnd.nextInt(given.length)],
                        rnd.nextBoolean() ? "female" : "male", LocalDate.of(1940 + rnd.nextInt(50), 1 + rnd.nextInt(12), 1 + rnd.nextInt(28))));
        b.add(cond, "Condition", """
                {"resourceType":"Condition",
                 "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},
                 "verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"confirmed"}]},
                 "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"M46.1","display":"Sacroiliitis, not elsewhere classified"}]},
                 "subject":{"reference":"%s"},"onsetDateTime":"%s"}"""
                .formatted(pt, surgery.minusDays(60 + rnd.nextInt(300))));
        b.add(proc, "Procedure", """
                {"resourceType":"Procedure","status":"%s",
                 "code":{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"27279","display":"Arthrodesis, sacroiliac joint, percutaneous or minimally invasive"}]},
                 "subject":{"reference":"%s"},"performedDateTime":"%sT08:00:00Z","reasonReference":[{"reference":"%s"}]}"""
                .formatted(performed ? "completed" : "preparation", pt, surgery, cond));

        // What enrolment would create: the CarePlan and its Tasks.
        String[] steps = {"Pre-operative education", "Stop anticoagulants", "Pre-operative check-in", "Surgery",
                "Wound check", "Physiotherapy start", "6-week review", "3-month PROM"};
        int[] offsets = {-21, -7, -2, 0, 10, 14, 42, 90};
        StringBuilder activities = new StringBuilder();
        for (int a = 0; a < steps.length; a++) {
            LocalDate d = surgery.plusDays(offsets[a]);
            activities.append(a == 0 ? "" : ",").append("""
                    {"detail":{"kind":"Task","status":"%s","description":"%s",
                     "scheduledPeriod":{"start":"%s","end":"%s"}}}"""
                    .formatted(performed && offsets[a] <= 14 ? "completed" : "scheduled", steps[a], d, d.plusDays(3)));
        }
        b.add(plan, "CarePlan", """
                {"resourceType":"CarePlan","status":"active","intent":"plan",
                 "instantiatesCanonical":["%s"],"title":"SI joint fusion pathway",
                 "subject":{"reference":"%s"},"period":{"start":"%s","end":"%s"},
                 "addresses":[{"reference":"%s"}],"activity":[%s]}"""
                .formatted(PLAN, pt, surgery.minusDays(21), surgery.plusDays(365), cond, activities));
        String[] tasks = {"Watch education video", "Stop anticoagulants", "Pre-operative questionnaire", "Arrange transport",
                "Wound photo day 3", "Wound photo day 10", "Start physiotherapy", "Walking 20 minutes", "6-week check-in", "3-month PROM"};
        int[] taskDays = {-21, -7, -2, -1, 3, 10, 14, 21, 42, 90};
        for (int t = 0; t < tasks.length; t++) {
            LocalDate d = surgery.plusDays(taskDays[t]);
            boolean done = performed && taskDays[t] <= 10 + rnd.nextInt(20);
            b.add(b.uuid(), "Task", """
                    {"resourceType":"Task","status":"%s","intent":"order","description":"%s",
                     "basedOn":[{"reference":"%s"}],"for":{"reference":"%s"},
                     "executionPeriod":{"start":"%s","end":"%s"},"authoredOn":"%s"}"""
                    .formatted(done ? "completed" : "requested", tasks[t], plan, pt, d, d.plusDays(2), surgery.minusDays(21)));
        }
        // Weekly check-ins around the surgery.
        for (int q = 0; q < 6; q++) {
            LocalDate d = surgery.plusDays(-7 + 7L * q);
            b.add(b.uuid(), "QuestionnaireResponse", """
                    {"resourceType":"QuestionnaireResponse","questionnaire":"%s","status":"completed",
                     "subject":{"reference":"%s"},"basedOn":[{"reference":"%s"}],"authored":"%sT09:%02d:00Z",
                     "item":[{"linkId":"fever","answer":[{"valueBoolean":false}]},
                             {"linkId":"wound-redness-swelling-drainage","answer":[{"valueBoolean":%s}]},
                             {"linkId":"joint-warmth-swelling","answer":[{"valueBoolean":false}]},
                             {"linkId":"leg-numbness-weakness","answer":[{"valueBoolean":false}]},
                             {"linkId":"bowel-bladder-change","answer":[{"valueBoolean":false}]},
                             {"linkId":"calf-pain-swelling","answer":[{"valueBoolean":false}]},
                             {"linkId":"chest-pain-breathless","answer":[{"valueBoolean":false}]},
                             {"linkId":"pain-uncontrolled","answer":[{"valueBoolean":false}]},
                             {"linkId":"pain-score","answer":[{"valueInteger":%d}]}]}"""
                    .formatted(CHECK_IN, pt, plan, d, rnd.nextInt(60), rnd.nextInt(10) == 0, rnd.nextInt(11)));
        }
        for (int o = 0; o < 4; o++) {
            LocalDate d = surgery.plusDays(7L * o);
            b.add(b.uuid(), "Observation", observation(pt, "72514-3", "Pain severity 0-10", d, "\"valueInteger\":" + rnd.nextInt(11)));
            b.add(b.uuid(), "Observation", observation(pt, "8310-5", "Body temperature", d,
                    "\"valueQuantity\":{\"value\":%.1f,\"unit\":\"Cel\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"Cel\"}"
                            .formatted(36.2 + rnd.nextInt(25) / 10.0)));
        }
        if (rnd.nextInt(2) == 0) {
            b.add(b.uuid(), "Flag", """
                    {"resourceType":"Flag","status":"%s",
                     "code":{"text":"Pain above threshold at check-in"},"subject":{"reference":"%s"},
                     "period":{"start":"%s"}}""".formatted(rnd.nextInt(3) == 0 ? "inactive" : "active", pt, surgery.plusDays(7)));
        }
        return new Patient(b.toString(), b.count);
    }

    static String observation(String pt, String code, String display, LocalDate d, String value) {
        return """
                {"resourceType":"Observation","status":"final",
                 "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"%s"}]}],
                 "code":{"coding":[{"system":"http://loinc.org","code":"%s","display":"%s"}]},
                 "subject":{"reference":"%s"},"effectiveDateTime":"%sT10:00:00Z",%s}"""
                .formatted(code.equals("8310-5") ? "vital-signs" : "survey", code, display, pt, d, value);
    }

    /** One patient with n pain-score Observations, for the paging measurement. */
    static void loadPaging(int n, String idsFile) throws Exception {
        Bundle first = new Bundle(new Random(42));
        String pt = first.uuid();
        first.add(pt, "Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Paging\"}]}");
        HttpResponse<String> r = post(first.toString());
        Matcher m = LOCATION.matcher(r.body());
        if (r.statusCode() != 200 || !m.find()) throw new IllegalStateException("HTTP " + r.statusCode() + " " + abbreviate(r.body()));
        String patientId = m.group(2);
        long start = System.nanoTime();
        for (int done = 0; done < n; done += 500) {
            Bundle b = new Bundle(new Random(done));
            for (int k = done; k < Math.min(n, done + 500); k++) {
                b.add(b.uuid(), "Observation", observation("Patient/" + patientId, "72514-3", "Pain severity 0-10",
                        FIRST_SURGERY.plusDays(k % 365), "\"valueInteger\":" + (k % 11)));
            }
            r = post(b.toString());
            if (r.statusCode() != 200) throw new IllegalStateException("HTTP " + r.statusCode() + " " + abbreviate(r.body()));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Files.writeString(Path.of(idsFile), patientId + "\n");
        System.out.printf("paging patient=%s observations=%d seconds=%.1f resources_per_s=%.0f%n", patientId, n, seconds, n / seconds);
    }

    /** A transaction Bundle under construction. */
    static final class Bundle {
        final Random rnd;
        final StringBuilder entries = new StringBuilder();
        int count;

        Bundle(Random rnd) {
            this.rnd = rnd;
        }

        String uuid() {
            return "urn:uuid:" + new UUID(rnd.nextLong(), rnd.nextLong());
        }

        void add(String fullUrl, String type, String resource) {
            entries.append(count++ == 0 ? "" : ",\n").append("{\"fullUrl\":\"").append(fullUrl)
                    .append("\",\"resource\":").append(resource)
                    .append(",\"request\":{\"method\":\"POST\",\"url\":\"").append(type).append("\"}}");
        }

        @Override
        public String toString() {
            return "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[\n" + entries + "]}";
        }
    }
}
