// Mixed workload for the CarePath soak test (bench/soak runs it). JDK only, runs without a build:
//
//   java bench/Soak.java --base http://localhost:8080/fhir --seconds 1800 --clients 4 \
//        --interval 30 --pid <server pid> --out bench/results/soak.tsv
//
// Each client loops over what the pathway's users do, in these shares: reads of a patient or plan
// (30%), searches an EHR or patient app makes (30%), a daily check-in QuestionnaireResponse and
// its pain Observation (25%), a new patient with a scheduled SI joint fusion, which enrols them
// (10%), and a re-dated surgery (5%). Every --interval seconds it prints one line per interval
// (and appends it to --out): requests, errors (non-2xx), latency p50/p95/p99/max in ms over the
// interval, and the server's resident memory (VmRSS of --pid) in MB. Errors are printed with the
// request's kind and status. Exit status 1 when any request failed.

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
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class Soak {

    static final String CHECK_IN = "https://carepath.org/fhir/Questionnaire/recovery-check-in";
    static final java.time.format.DateTimeFormatter DATE_TIME =
            java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssXXX");
    static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"");

    record Enrolled(String patient, String procedure, LocalDate surgery) {
    }

    static HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    static String base;
    static final List<Enrolled> patients = new CopyOnWriteArrayList<>();
    static final List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    static final AtomicLong requests = new AtomicLong();
    static final AtomicLong errors = new AtomicLong();
    static final AtomicLong totalErrors = new AtomicLong();
    static final Map<String, AtomicLong> errorKinds = new ConcurrentHashMap<>();

    public static void main(String[] args) throws Exception {
        long seconds = 1800;
        int clients = 4;
        int interval = 30;
        String pid = null;
        Path out = null;
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--base" -> base = args[i + 1];
                case "--seconds" -> seconds = Long.parseLong(args[i + 1]);
                case "--clients" -> clients = Integer.parseInt(args[i + 1]);
                case "--interval" -> interval = Integer.parseInt(args[i + 1]);
                case "--pid" -> pid = args[i + 1];
                case "--out" -> out = Path.of(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        for (int i = 0; i < 20; i++) {
            enrolNew(); // something to read and search from the first second
        }
        if (patients.isEmpty()) {
            errorKinds.forEach((k, v) -> System.out.println("errors " + k + ": " + v.get()));
            throw new IllegalStateException("no patient could be enrolled: see the server log");
        }
        long end = System.currentTimeMillis() + seconds * 1000;
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            Thread t = new Thread(() -> {
                while (System.currentTimeMillis() < end) {
                    step();
                }
            });
            t.start();
            threads.add(t);
        }
        String header = "elapsed_s\trequests\terrors\tp50_ms\tp95_ms\tp99_ms\tmax_ms\trss_mb\tpatients";
        System.out.println(header);
        if (out != null) {
            Files.writeString(out, header + "\n");
        }
        long start = System.currentTimeMillis();
        while (System.currentTimeMillis() < end) {
            Thread.sleep(Math.min(interval * 1000L, Math.max(1, end - System.currentTimeMillis())));
            List<Long> sample;
            synchronized (latencies) {
                sample = new ArrayList<>(latencies);
                latencies.clear();
            }
            Collections.sort(sample);
            String line = "%d\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%s\t%d".formatted(
                    (System.currentTimeMillis() - start) / 1000, requests.getAndSet(0), errors.getAndSet(0),
                    pct(sample, 50), pct(sample, 95), pct(sample, 99), pct(sample, 100), rss(pid), patients.size());
            System.out.println(line);
            if (out != null) {
                Files.writeString(out, line + "\n", StandardOpenOption.APPEND);
            }
        }
        for (Thread t : threads) {
            t.join();
        }
        errorKinds.forEach((k, v) -> System.out.println("errors " + k + ": " + v.get()));
        System.exit(totalErrors.get() == 0 ? 0 : 1);
    }

    static void step() {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        Enrolled p = patients.get(rnd.nextInt(patients.size()));
        int dice = rnd.nextInt(100);
        try {
            if (dice < 15) {
                call("read", "GET", "/Patient/" + p.patient(), null);
            } else if (dice < 30) {
                call("read-plan", "GET", "/CarePlan?subject=Patient/" + p.patient() + "&status=active", null);
            } else if (dice < 45) {
                call("search-tasks", "GET", "/Task?patient=" + p.patient() + "&status=requested&_count=10", null);
            } else if (dice < 60) {
                call("search-observations", "GET", "/Observation?patient=" + p.patient()
                        + "&code=http://loinc.org%7C72514-3&_sort=-date&_count=10", null);
            } else if (dice < 85) {
                checkIn(p, rnd);
            } else if (dice < 95) {
                enrolNew();
            } else {
                redate(p, rnd);
            }
        } catch (Exception e) {
            fail("exception " + e.getClass().getSimpleName());
        }
    }

    /** The recovery check-in as the patient app sends it (the answers of the pathway's Questionnaire). */
    static void checkIn(Enrolled p, ThreadLocalRandom rnd) throws Exception {
        int pain = rnd.nextInt(11);
        String now = java.time.OffsetDateTime.now().format(DATE_TIME);
        StringBuilder items = new StringBuilder("{\"linkId\":\"temperature\",\"answer\":[{\"valueDecimal\":%.1f}]}"
                .formatted(36.2 + rnd.nextInt(25) / 10.0));
        for (String yesNo : new String[] {"fever", "wound-redness-swelling-drainage", "joint-warmth-swelling",
                "leg-numbness-weakness", "bowel-bladder-change", "calf-pain-swelling", "chest-pain-breathless",
                "pain-uncontrolled"}) {
            items.append(",{\"linkId\":\"%s\",\"answer\":[{\"valueBoolean\":%s}]}".formatted(yesNo, rnd.nextInt(20) == 0));
        }
        items.append(",{\"linkId\":\"pain-score\",\"answer\":[{\"valueInteger\":%d}]}".formatted(pain));
        call("check-in", "POST", "/QuestionnaireResponse", """
                {"resourceType":"QuestionnaireResponse","questionnaire":"%s","status":"completed",
                 "subject":{"reference":"Patient/%s"},"authored":"%s","item":[%s]}"""
                .formatted(CHECK_IN, p.patient(), now, items));
        call("observation", "POST", "/Observation", """
                {"resourceType":"Observation","status":"final",
                 "code":{"coding":[{"system":"http://loinc.org","code":"72514-3","display":"Pain severity 0-10"}]},
                 "subject":{"reference":"Patient/%s"},"effectiveDateTime":"%s","valueInteger":%d}"""
                .formatted(p.patient(), now, pain));
    }

    static void enrolNew() throws Exception {
        String patient = id(call("create-patient", "POST", "/Patient", """
                {"resourceType":"Patient","name":[{"family":"Soak","given":["Test"]}],"birthDate":"1970-05-01"}"""));
        if (patient == null) {
            return;
        }
        LocalDate surgery = LocalDate.now().plusDays(7 + ThreadLocalRandom.current().nextInt(60));
        String procedure = id(call("enrol", "POST", "/Procedure", procedure(null, patient, surgery)));
        if (procedure != null) {
            patients.add(new Enrolled(patient, procedure, surgery));
        }
    }

    static void redate(Enrolled p, ThreadLocalRandom rnd) throws Exception {
        LocalDate moved = p.surgery().plusDays(rnd.nextInt(1, 8));
        call("re-date", "PUT", "/Procedure/" + p.procedure(), procedure(p.procedure(), p.patient(), moved));
    }

    static String procedure(String id, String patient, LocalDate date) {
        return """
                {"resourceType":"Procedure",%s"status":"preparation",
                 "code":{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"27279"}]},
                 "subject":{"reference":"Patient/%s"},"performedDateTime":"%sT08:00:00+01:00"}"""
                .formatted(id == null ? "" : "\"id\":\"" + id + "\",", patient, date);
    }

    static String call(String kind, String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .header("Accept", "application/fhir+json");
        if (body != null) {
            request.header("Content-Type", "application/fhir+json").method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        long t0 = System.nanoTime();
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        latencies.add((System.nanoTime() - t0) / 1000);
        requests.incrementAndGet();
        if (response.statusCode() >= 300) {
            fail(kind + " " + response.statusCode());
            return null;
        }
        return response.body();
    }

    static void fail(String what) {
        errors.incrementAndGet();
        totalErrors.incrementAndGet();
        errorKinds.computeIfAbsent(what, k -> new AtomicLong()).incrementAndGet();
    }

    static String id(String body) {
        if (body == null) {
            return null;
        }
        Matcher m = ID.matcher(body);
        return m.find() ? m.group(1) : null;
    }

    /** Percentile of microsecond samples, in ms. */
    static double pct(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(i, sorted.size() - 1))) / 1000.0;
    }

    static String rss(String pid) {
        if (pid == null) {
            return "-";
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc", pid, "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.toString(Long.parseLong(line.replaceAll("\\D", "")) / 1024);
                }
            }
        } catch (Exception gone) {
            return "gone";
        }
        return "-";
    }
}
