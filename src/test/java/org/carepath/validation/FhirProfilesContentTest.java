package org.carepath.validation;

import static org.carepath.validation.SharedValidation.CONTENT;
import static org.carepath.validation.SharedValidation.CONTEXT;
import static org.carepath.validation.SharedValidation.VALIDATION;
import static org.carepath.validation.SharedValidation.describe;
import static org.carepath.validation.SharedValidation.errors;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ca.uhn.fhir.util.FhirTerser;
import ca.uhn.fhir.validation.SingleValidationMessage;
import ca.uhn.fhir.validation.ValidationResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.ActivityDefinition;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CodeSystem;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Duration;
import org.hl7.fhir.r4.model.Expression;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.Flag;
import org.hl7.fhir.r4.model.IntegerType;
import org.hl7.fhir.r4.model.MetadataResource;
import org.hl7.fhir.r4.model.PlanDefinition;
import org.hl7.fhir.r4.model.PlanDefinition.PlanDefinitionActionComponent;
import org.hl7.fhir.r4.model.PrimitiveType;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Questionnaire;
import org.hl7.fhir.r4.model.QuestionnaireResponse;
import org.hl7.fhir.r4.model.RiskAssessment;
import org.hl7.fhir.r4.model.StringType;
import org.junit.jupiter.api.Test;

/**
 * Build-time check of the pathway content in {@code fhir-profiles/}: every file validates with
 * zero errors, examples conform to their declared profiles, deliberately broken copies fail with
 * the expected message, and the PlanDefinition has the structure the CarePlan engine relies on.
 */
class FhirProfilesContentTest {

  static final String BASE = ConformanceResources.CANONICAL_BASE;
  static final String PATHWAY_CS = BASE + "/CodeSystem/pathway";
  static final String PLAN_URL = BASE + "/PlanDefinition/si-joint-fusion";
  static final String PARAMETER_EXT = BASE + "/StructureDefinition/pathway-parameter";
  static final String CQF_EXPRESSION = "http://hl7.org/fhir/StructureDefinition/cqf-expression";
  static final String UCUM = "http://unitsofmeasure.org";
  static final Pattern PARAMETER_REFERENCE = Pattern.compile("%([A-Za-z][A-Za-z0-9]*)");

  // ------------------------------------------------------------------ every file validates

  @Test
  void everyDefinitionalResourceValidatesWithoutErrors() {
    assertFilesValid(CONTENT.getDefinitionFiles());
  }

  @Test
  void everyExampleValidatesWithoutErrorsAgainstItsDeclaredProfile() {
    assertFalse(CONTENT.getExampleFiles().isEmpty(), "no examples found");
    assertFilesValid(CONTENT.getExampleFiles());
    StringBuilder problems = new StringBuilder();
    for (ConformanceResources.ContentFile file : CONTENT.getExampleFiles()) {
      List<? extends org.hl7.fhir.instance.model.api.IPrimitiveType<String>> profiles = file.resource().getMeta().getProfile();
      if (profiles.size() != 1) {
        problems.append(file.fileName()).append(": declares ").append(profiles.size()).append(" profiles, expected 1\n");
        continue;
      }
      String profile = profiles.get(0).getValue();
      List<SingleValidationMessage> errors = errors(VALIDATION.validate(file.resource(), profile));
      if (!errors.isEmpty()) {
        problems.append(file.fileName()).append(" against ").append(profile).append(":\n").append(describe(errors)).append('\n');
      }
    }
    if (problems.length() > 0) {
      fail("Examples do not conform to their declared profile:\n" + problems);
    }
  }

  @Test
  void everyProjectProfileHasAValidExample() {
    Set<String> exemplified = new HashSet<>();
    for (IBaseResource example : CONTENT.getExamples()) {
      example.getMeta().getProfile().forEach(p -> exemplified.add(p.getValue()));
    }
    for (String profile : VALIDATION.getProjectProfileUrls()) {
      assertTrue(exemplified.contains(profile), "no example declares " + profile);
    }
  }

  private static void assertFilesValid(List<ConformanceResources.ContentFile> files) {
    StringBuilder problems = new StringBuilder();
    for (ConformanceResources.ContentFile file : files) {
      // The raw text, so that unknown elements are reported rather than dropped by the parser.
      List<SingleValidationMessage> errors = errors(VALIDATION.validate(file.text(), null));
      if (!errors.isEmpty()) {
        problems.append(file.fileName()).append(":\n").append(describe(errors)).append('\n');
      }
    }
    if (problems.length() > 0) {
      fail("Content files with validation errors:\n" + problems);
    }
  }

  // ------------------------------------------------------------------ conventions

  @Test
  void canonicalResourcesFollowTheProjectConventions() {
    StringBuilder problems = new StringBuilder();
    for (ConformanceResources.ContentFile file : CONTENT.getDefinitionFiles()) {
      if (!(file.resource() instanceof MetadataResource r)) {
        problems.append(file.fileName()).append(": not a canonical resource\n");
        continue;
      }
      String type = r.fhirType();
      String id = r.getIdElement().getIdPart();
      check(problems, file, (type + "-" + id + ".json").equals(file.fileName()), "file name is not <Type>-<id>.json");
      check(problems, file, (BASE + "/" + type + "/" + id).equals(r.getUrl()), "url is not " + BASE + "/" + type + "/" + id);
      check(problems, file, "0.1.0".equals(r.getVersion()), "version is not 0.1.0");
      check(problems, file, r.hasName() && r.getName().matches("[A-Z][A-Za-z0-9_]{0,254}"), "name missing or not a computable name");
      // R4 SearchParameter has no title element
      check(problems, file, r.hasTitle() || "SearchParameter".equals(type), "title missing");
      check(problems, file, r.getStatus() == org.hl7.fhir.r4.model.Enumerations.PublicationStatus.ACTIVE, "status is not active");
      check(problems, file, r.hasDescription() && !r.getDescription().isBlank(), "description missing");
    }
    for (ConformanceResources.ContentFile file : CONTENT.getExampleFiles()) {
      String expected = file.resource().fhirType() + "-" + file.resource().getIdElement().getIdPart() + ".json";
      check(problems, file, expected.equals(file.fileName()), "file name is not <Type>-<id>.json");
    }
    if (problems.length() > 0) {
      fail(problems.toString());
    }
  }

  private static void check(StringBuilder problems, ConformanceResources.ContentFile file, boolean ok, String message) {
    if (!ok) {
      problems.append(file.fileName()).append(": ").append(message).append('\n');
    }
  }

  @Test
  void everyExtensionUsedIsDefined() {
    FhirTerser terser = CONTEXT.newTerser();
    Set<String> unknown = new LinkedHashSet<>();
    List<IBaseResource> all = new ArrayList<>(CONTENT.getDefinitions());
    all.addAll(CONTENT.getExamples());
    for (IBaseResource resource : all) {
      for (Extension extension : terser.getAllPopulatedChildElementsOfType(resource, Extension.class)) {
        String url = extension.getUrl();
        if (url.startsWith("http") && VALIDATION.getValidationSupport().fetchStructureDefinition(url) == null) {
          unknown.add(url + " (in " + resource.getIdElement().getIdPart() + ")");
        }
      }
    }
    assertTrue(unknown.isEmpty(), "extensions without a definition: " + unknown);
  }

  @Test
  void projectProfilesAreRecognised() {
    assertEquals(
        Set.of(
            BASE + "/StructureDefinition/si-fusion-procedure",
            BASE + "/StructureDefinition/si-fusion-careplan",
            BASE + "/StructureDefinition/recovery-check-in-response",
            BASE + "/StructureDefinition/recovery-alert-flag",
            BASE + "/StructureDefinition/recovery-risk-assessment"),
        VALIDATION.getProjectProfileUrls());
    assertTrue(VALIDATION.isProjectProfile(BASE + "/StructureDefinition/si-fusion-procedure|0.1.0"));
    assertFalse(VALIDATION.isProjectProfile(PARAMETER_EXT), "an extension is not a profile");
    assertFalse(VALIDATION.isProjectProfile("http://hl7.org/fhir/StructureDefinition/Procedure"));
    assertFalse(VALIDATION.isProjectProfile(null));
  }

  @Test
  void profilesGetSnapshots() {
    for (IBaseResource resource : VALIDATION.getConformanceResources()) {
      if (resource instanceof org.hl7.fhir.r4.model.StructureDefinition sd) {
        assertTrue(sd.getSnapshot().getElement().size() > sd.getDifferential().getElement().size(), sd.getUrl() + " has no snapshot");
        // every differential element must survive into the snapshot (out-of-order ones are dropped)
        Set<String> snapshotIds = new HashSet<>();
        sd.getSnapshot().getElement().forEach(e -> snapshotIds.add(e.getId()));
        sd.getDifferential().getElement().forEach(e -> assertTrue(snapshotIds.contains(e.getId()),
            sd.getUrl() + ": differential element " + e.getId() + " missing from the snapshot"));
      }
    }
  }

  // ------------------------------------------------------------------ broken copies fail

  @Test
  void procedureWithACodeOutsideTheValueSetIsRejected() {
    Procedure p = example(Procedure.class, "si-fusion-scheduled");
    p.getCode().getCoding().clear();
    p.getCode().addCoding(new Coding("http://www.ama-assn.org/go/cpt", "27096", "SI joint injection (diagnostic block)"));
    assertRejected(p, "None of the codings provided are in the value set 'SI joint fusion procedure codes'");
  }

  @Test
  void procedureWithAnIcd10PcsCodeOutsideTheFusionPatternIsRejected() {
    Procedure p = example(Procedure.class, "si-fusion-scheduled");
    p.getCode().getCoding().clear();
    p.getCode().addCoding(new Coding("http://www.cms.gov/Medicare/Coding/ICD10", "0SW73JZ", "Revision of device in right SI joint"));
    assertRejected(p, "None of the codings provided are in the value set 'SI joint fusion procedure codes'");
  }

  @Test
  void procedureWithAnIcd10PcsFusionCodeAloneIsAccepted() {
    Procedure p = example(Procedure.class, "si-fusion-scheduled");
    p.getCode().getCoding().removeIf(c -> c.getSystem().contains("cpt"));
    assertAccepted(p);
  }

  @Test
  void completedProcedureWithoutPerformedIsRejected() {
    Procedure p = example(Procedure.class, "si-fusion-performed");
    p.setPerformed(null);
    assertRejected(p, "sifp-2");
  }

  @Test
  void scheduledProcedureWithoutPlannedDateIsRejected() {
    Procedure p = example(Procedure.class, "si-fusion-scheduled");
    p.setPerformed(null);
    assertRejected(p, "sifp-1");
  }

  @Test
  void procedureWhoseIcd10PcsSideContradictsTheBodySiteIsRejected() {
    Procedure p = example(Procedure.class, "si-fusion-scheduled");
    p.getBodySiteFirstRep().getCodingFirstRep().setCode("left-si-joint").setDisplay("Left sacroiliac joint");
    assertRejected(p, "sifp-3");
  }

  @Test
  void openCptCodeWithMinimallyInvasiveApproachIsRejected() {
    Procedure p = example(Procedure.class, "si-fusion-performed");
    p.getCode().getCodingFirstRep().setCode("27280").setDisplay("Open SI joint arthrodesis");
    assertRejected(p, "sifp-4");
  }

  @Test
  void procedureWithoutApproachIsRejected() {
    Procedure p = example(Procedure.class, "si-fusion-performed");
    p.getExtension().clear();
    assertRejected(p, "Procedure.extension:approach");
  }

  @Test
  void procedureWithoutBodySiteIsRejected() {
    Procedure p = example(Procedure.class, "si-fusion-performed");
    p.getBodySite().clear();
    assertRejected(p, "Procedure.bodySite: minimum required = 1");
  }

  @Test
  void carePlanWithoutInstantiatesCanonicalIsRejected() {
    CarePlan c = example(CarePlan.class, "si-fusion-example");
    c.getInstantiatesCanonical().clear();
    assertRejected(c, "CarePlan.instantiatesCanonical: minimum required = 1");
  }

  @Test
  void carePlanOfAnotherPathwayIsRejected() {
    CarePlan c = example(CarePlan.class, "si-fusion-example");
    c.getInstantiatesCanonical().get(0).setValue(BASE + "/PlanDefinition/another-pathway");
    assertRejected(c, "sifcp-1");
  }

  @Test
  void carePlanWithAVersionedPathwayIsAccepted() {
    CarePlan c = example(CarePlan.class, "si-fusion-example");
    c.getInstantiatesCanonical().get(0).setValue(PLAN_URL + "|0.1.0");
    assertAccepted(c);
  }

  @Test
  void carePlanActivityWithoutDateIsRejected() {
    CarePlan c = example(CarePlan.class, "si-fusion-example");
    c.getActivityFirstRep().getDetail().setScheduled(null);
    assertRejected(c, "CarePlan.activity.detail.scheduled[x]: minimum required = 1");
  }

  @Test
  void checkInMissingARequiredAnswerIsRejected() {
    QuestionnaireResponse qr = example(QuestionnaireResponse.class, "recovery-check-in-example");
    qr.getItem().removeIf(i -> i.getLinkId().equals("fever"));
    assertRejected(qr, "No response answer found for required item 'fever'");
  }

  @Test
  void checkInWithAStringWhereABooleanIsExpectedIsRejected() {
    QuestionnaireResponse qr = example(QuestionnaireResponse.class, "recovery-check-in-example");
    item(qr, "fever").getAnswerFirstRep().setValue(new StringType("yes"));
    assertRejected(qr, "Answer value must be of the type boolean");
  }

  @Test
  void checkInWithAPainScoreOutsideTheOptionsIsRejected() {
    QuestionnaireResponse qr = example(QuestionnaireResponse.class, "recovery-check-in-example");
    item(qr, "pain-score").getAnswerFirstRep().setValue(new IntegerType(11));
    assertRejected(qr, "The integer 11 is not in the set of permitted values");
  }

  @Test
  void checkInWithAnUnknownItemIsRejected() {
    QuestionnaireResponse qr = example(QuestionnaireResponse.class, "recovery-check-in-example");
    qr.addItem().setLinkId("unknown-item").addAnswer().setValue(new BooleanType(true));
    assertRejected(qr, "LinkId 'unknown-item' not found in questionnaire");
  }

  @Test
  void checkInWithoutAuthoredIsRejected() {
    QuestionnaireResponse qr = example(QuestionnaireResponse.class, "recovery-check-in-example");
    qr.setAuthoredElement(null);
    assertRejected(qr, "QuestionnaireResponse.authored: minimum required = 1");
  }

  @Test
  void checkInProfileRequiresTheCheckInQuestionnaire() {
    QuestionnaireResponse qr = example(QuestionnaireResponse.class, "recovery-check-in-example");
    qr.setQuestionnaire(BASE + "/Questionnaire/pain-nrs");
    assertRejected(qr, "sifci-1");
  }

  @Test
  void odiAnswerOutsideTheOptionsIsRejected() {
    QuestionnaireResponse qr = example(QuestionnaireResponse.class, "odi-example");
    qr.getItemFirstRep().getItemFirstRep().getAnswerFirstRep()
        .setValue(new Coding(BASE + "/CodeSystem/odi-response", "6", null));
    assertRejected(qr, "is not in the set of permitted values");
  }

  @Test
  void readinessChecklistMissingAnAnswerIsRejected() {
    QuestionnaireResponse qr = example(QuestionnaireResponse.class, "readiness-example");
    qr.getItem().removeIf(i -> i.getLinkId().equals("driver-arranged"));
    assertRejected(qr, "No response answer found for required item 'driver-arranged'");
  }

  @Test
  void flagWithoutAnAlertKindIsRejected() {
    Flag f = example(Flag.class, "fever-alert-example");
    f.getCode().getCoding().removeIf(c -> PATHWAY_CS.equals(c.getSystem()));
    assertRejected(f, "None of the codings provided are in the value set 'Recovery alert kinds'");
  }

  @Test
  void flagWithoutUrgencyIsRejected() {
    Flag f = example(Flag.class, "fever-alert-example");
    f.getExtension().removeIf(e -> e.getUrl().endsWith("/alert-urgency"));
    assertRejected(f, "Flag.extension:urgency");
  }

  @Test
  void riskAssessmentWithoutBasisIsRejected() {
    RiskAssessment r = example(RiskAssessment.class, "poor-pain-recovery-example");
    r.getBasis().clear();
    assertRejected(r, "RiskAssessment.basis: minimum required = 1");
  }

  @Test
  void pathwayParameterWithANameThatIsNotAFhirPathIdentifierIsRejected() {
    PlanDefinition plan = planDefinition().copy();
    plan.getExtensionsByUrl(PARAMETER_EXT).get(0).getExtensionByUrl("name").setValue(new org.hl7.fhir.r4.model.CodeType("fasting-hours"));
    assertRejected(plan, "cpp-1");
  }

  @Test
  void aResourceClaimingAnUnknownProjectProfileIsRejected() {
    Procedure p = example(Procedure.class, "si-fusion-performed");
    p.getMeta().getProfile().clear();
    p.getMeta().addProfile(BASE + "/StructureDefinition/no-such-profile");
    assertRejected(p, "no-such-profile");
  }

  @Test
  void theProfileParameterAddsAProfileToTheValidation() {
    Procedure p = example(Procedure.class, "si-fusion-performed");
    p.getMeta().getProfile().clear();
    p.getBodySite().clear();
    assertAccepted(p); // a plain R4 Procedure
    List<SingleValidationMessage> errors = errors(VALIDATION.validate(p, BASE + "/StructureDefinition/si-fusion-procedure"));
    assertTrue(errors.stream().anyMatch(m -> m.getMessage().contains("Procedure.bodySite: minimum required = 1")), describe(errors));
  }

  @Test
  void validationIsThreadSafe() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int round = 0; round < 3; round++) {
        for (IBaseResource example : CONTENT.getExamples()) {
          results.add(pool.submit(() -> errors(VALIDATION.validate(example)).size()));
        }
        QuestionnaireResponse broken = example(QuestionnaireResponse.class, "recovery-check-in-example");
        broken.getItem().removeIf(i -> i.getLinkId().equals("fever"));
        results.add(pool.submit(() -> errors(VALIDATION.validate(broken)).isEmpty() ? -1 : 0));
      }
      for (Future<Integer> result : results) {
        assertEquals(0, result.get());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // ------------------------------------------------------------------ the PlanDefinition

  @Test
  void planDefinitionIsGroupedByPhaseInOrder() {
    PlanDefinition plan = planDefinition();
    assertEquals(PLAN_URL, plan.getUrl());
    List<String> phases = new ArrayList<>();
    for (PlanDefinitionActionComponent group : plan.getAction()) {
      Coding phase = localCode(group);
      assertNotNull(phase, "group " + group.getId() + " has no pathway code");
      assertTrue(conceptChildren("phase").contains(phase.getCode()), group.getId() + ": " + phase.getCode() + " is not a phase");
      assertFalse(group.getAction().isEmpty(), group.getId() + " has no actions");
      phases.add(phase.getCode());
    }
    assertEquals(List.of("eligibility", "preparation", "day-of-surgery", "recovery", "follow-up"), phases);
  }

  @Test
  void theSurgeryActionIsTheOnlyAnchor() {
    PlanDefinition plan = planDefinition();
    List<PlanDefinitionActionComponent> surgery = leaves(plan).stream().filter(a -> "surgery".equals(a.getId())).toList();
    assertEquals(1, surgery.size(), "exactly one action with id 'surgery'");
    PlanDefinitionActionComponent dayOfSurgery = group(plan, "day-of-surgery");
    assertTrue(dayOfSurgery.getAction().contains(surgery.get(0)), "'surgery' is in the day-of-surgery phase");
    assertTrue(surgery.get(0).getRelatedAction().isEmpty(), "the anchor is not relative to anything");
    Set<String> ids = new HashSet<>();
    for (PlanDefinitionActionComponent action : allActions(plan)) {
      assertTrue(action.hasId() && ids.add(action.getId()), "action ids are present and unique: " + action.getId());
      assertTrue(action.getId().matches("[a-z0-9]+(-[a-z0-9]+)*"), "lowercase-hyphenated id: " + action.getId());
    }
  }

  @Test
  void everyLeafActionIsTimedRelativeToTheSurgeryExceptEligibility() {
    PlanDefinition plan = planDefinition();
    Set<String> eligibility = new HashSet<>();
    group(plan, "eligibility").getAction().forEach(a -> eligibility.add(a.getId()));
    StringBuilder problems = new StringBuilder();
    for (PlanDefinitionActionComponent group : plan.getAction()) {
      String phase = localCode(group).getCode();
      for (PlanDefinitionActionComponent action : group.getAction()) {
        String id = action.getId();
        if (id.equals("surgery")) {
          continue;
        }
        if (eligibility.contains(id)) {
          if (!action.getRelatedAction().isEmpty() || action.hasTiming()) {
            problems.append(id).append(": eligibility actions are not surgery-relative (see README)\n");
          }
          continue;
        }
        if (action.getRelatedAction().size() != 1) {
          problems.append(id).append(": needs exactly one relatedAction\n");
          continue;
        }
        PlanDefinition.PlanDefinitionActionRelatedActionComponent rel = action.getRelatedActionFirstRep();
        if (!"surgery".equals(rel.getActionId())) {
          problems.append(id).append(": relatedAction.actionId is not 'surgery'\n");
        }
        String relationship = rel.getRelationship() == null ? null : rel.getRelationship().toCode();
        Set<String> allowed = phase.equals("preparation") ? Set.of("before-start") : Set.of("after-start", "concurrent-with-start");
        if (!allowed.contains(relationship)) {
          problems.append(id).append(": relationship ").append(relationship).append(" not in ").append(allowed).append('\n');
        }
        if (!(rel.getOffset() instanceof Duration offset)) {
          problems.append(id).append(": offset is not a Duration\n");
        } else {
          checkDuration(problems, id + " offset", offset);
        }
        if (action.hasTimingTiming()) {
          var repeat = action.getTimingTiming().getRepeat();
          if (!repeat.hasBoundsDuration()) {
            problems.append(id).append(": timingTiming without repeat.boundsDuration\n");
          } else {
            checkDuration(problems, id + " bounds", repeat.getBoundsDuration());
          }
        }
      }
    }
    if (problems.length() > 0) {
      fail(problems.toString());
    }
  }

  @Test
  void restrictionsAndRecurringActivitiesSayHowLongTheyLast() {
    for (PlanDefinitionActionComponent action : leaves(planDefinition())) {
      String kind = localCode(action).getCode();
      if (kind.equals("restriction")) {
        assertTrue(action.hasTimingTiming() && action.getTimingTiming().getRepeat().hasBoundsDuration(),
            action.getId() + ": a restriction needs timingTiming.repeat.boundsDuration");
      }
      if (action.hasTimingTiming() && action.getTimingTiming().getRepeat().hasFrequency()) {
        var repeat = action.getTimingTiming().getRepeat();
        assertTrue(repeat.hasPeriod() && repeat.hasPeriodUnit() && repeat.hasBoundsDuration(), action.getId() + ": recurring needs period, periodUnit and bounds");
        Extension expression = repeat.getPeriodElement().getExtensionByUrl(CQF_EXPRESSION);
        if (expression != null) {
          Matcher m = PARAMETER_REFERENCE.matcher(((Expression) expression.getValue()).getExpression());
          assertTrue(m.matches(), action.getId() + ": period expression");
          Quantity q = (Quantity) parameters(planDefinition()).get(m.group(1)).getExtensionByUrl("value").getValue();
          assertEquals(repeat.getPeriodUnit().toCode(), q.getCode(), action.getId() + ": parameter unit equals periodUnit");
          assertEquals(0, q.getValue().compareTo(repeat.getPeriod()), action.getId() + ": period default equals the parameter");
        }
      }
    }
    var checkIn = leaves(planDefinition()).stream().filter(a -> a.getId().equals("recovery-check-in")).findFirst().orElseThrow();
    assertTrue(checkIn.getTimingTiming().getRepeat().hasFrequency(), "the recovery check-in recurs");
  }

  @Test
  void everyLeafActionSaysWhatWithAResolvableDefinition() {
    StringBuilder problems = new StringBuilder();
    Set<String> kinds = conceptChildren("activity-kind");
    for (PlanDefinitionActionComponent action : leaves(planDefinition())) {
      String id = action.getId();
      if (!action.hasTitle() || !action.hasDescription()) {
        problems.append(id).append(": title and description are required\n");
      }
      Coding kind = localCode(action);
      if (kind == null || !kinds.contains(kind.getCode())) {
        problems.append(id).append(": code is not an activity kind of ").append(PATHWAY_CS).append('\n');
      }
      if (action.getDocumentation().isEmpty() || action.getDocumentation().stream().anyMatch(d -> !d.hasDisplay())) {
        problems.append(id).append(": documentation naming the source is required\n");
      }
      if (!action.hasDefinitionCanonicalType()) {
        problems.append(id).append(": no definitionCanonical\n");
        continue;
      }
      String canonical = action.getDefinitionCanonicalType().getValue();
      IBaseResource target = CONTENT.findByCanonicalUrl(canonical).orElse(null);
      if (!(target instanceof ActivityDefinition) && !(target instanceof Questionnaire)) {
        problems.append(id).append(": definitionCanonical ").append(canonical).append(" does not resolve to an ActivityDefinition or Questionnaire in resources/\n");
      }
      if (target instanceof Questionnaire && !kind.getCode().equals("questionnaire")) {
        problems.append(id).append(": points to a Questionnaire but its kind is ").append(kind.getCode()).append('\n');
      }
    }
    if (problems.length() > 0) {
      fail(problems.toString());
    }
  }

  @Test
  void everyParameterReferencedByAnExpressionIsDeclared() {
    PlanDefinition plan = planDefinition();
    Map<String, Extension> declared = parameters(plan);
    Set<String> referenced = new HashSet<>();
    for (Extension extension : expressionExtensions(plan)) {
      Expression expression = (Expression) extension.getValue();
      assertEquals("text/fhirpath", expression.getLanguage());
      Matcher m = PARAMETER_REFERENCE.matcher(expression.getExpression());
      assertTrue(m.matches(), "a parameter reference is '%name': " + expression.getExpression());
      referenced.add(m.group(1));
    }
    Set<String> undeclared = new HashSet<>(referenced);
    undeclared.removeAll(declared.keySet());
    assertTrue(undeclared.isEmpty(), "parameters referenced but not declared: " + undeclared);
    assertTrue(referenced.size() >= 10, "the timings use the parameters: " + referenced);
    // %name in the clinician texts of the ActivityDefinitions must be declared too
    for (ActivityDefinition ad : CONTENT.getDefinitions(ActivityDefinition.class)) {
      Matcher m = PARAMETER_REFERENCE.matcher(ad.getPurpose() == null ? "" : ad.getPurpose());
      while (m.find()) {
        assertTrue(declared.containsKey(m.group(1)), ad.getUrl() + " mentions undeclared %" + m.group(1));
      }
    }
  }

  @Test
  void parametersAreDeclaredWithDefaultAndSource() {
    Map<String, Extension> declared = parameters(planDefinition());
    for (String required : List.of("weightBearingLimitWeeks", "noDrivingWeeks", "fastingHours", "injectionReliefThresholdPercent", "nsaidHoldDays")) {
      assertTrue(declared.containsKey(required), "parameter " + required + " is declared");
    }
    assertEquals(12, ((Quantity) declared.get("fastingHours").getExtensionByUrl("value").getValue()).getValue().intValue());
    assertEquals(75, ((Quantity) declared.get("injectionReliefThresholdPercent").getExtensionByUrl("value").getValue()).getValue().intValue());
    for (Map.Entry<String, Extension> parameter : declared.entrySet()) {
      var value = parameter.getValue().getExtensionByUrl("value").getValue();
      if (value instanceof Quantity q) {
        assertEquals(UCUM, q.getSystem(), parameter.getKey() + " uses UCUM");
        assertTrue(q.hasCode(), parameter.getKey() + " has a unit code");
      }
      String description = ((StringType) parameter.getValue().getExtensionByUrl("description").getValue()).getValue();
      assertTrue(description.length() > 30, parameter.getKey() + " describes itself and its source");
    }
  }

  @Test
  void activityDefinitionsHavePlainLanguageInstructionsAndSources() {
    List<ActivityDefinition> definitions = CONTENT.getDefinitions(ActivityDefinition.class);
    assertTrue(definitions.size() >= 20);
    for (ActivityDefinition ad : definitions) {
      assertTrue(ad.hasDescription() && ad.getDescription().length() > 40, ad.getUrl() + ": patient instructions");
      assertFalse(ad.getRelatedArtifact().isEmpty(), ad.getUrl() + ": relatedArtifact naming the source");
      ad.getRelatedArtifact().forEach(r -> assertTrue(r.hasDisplay(), ad.getUrl() + ": relatedArtifact.display"));
      assertTrue(ad.hasKind(), ad.getUrl() + ": kind");
    }
  }

  // ------------------------------------------------------------------ the risk rules

  static final String PLAN_TYPES = "http://terminology.hl7.org/CodeSystem/plan-definition-type";
  static final Pattern LINK_ID = Pattern.compile("linkId\\s*=\\s*'([^']+)'");
  static final Map<String, String> PRIORITY_BY_URGENCY = Map.of("emergency", "stat", "urgent", "asap", "review", "urgent");

  static List<PlanDefinition> riskRules() {
    return CONTENT.getDefinitions(PlanDefinition.class).stream()
        .filter(p -> p.getType().getCoding().stream().anyMatch(c -> PLAN_TYPES.equals(c.getSystem()) && "eca-rule".equals(c.getCode())))
        .toList();
  }

  static List<String> ruleExpressions(PlanDefinition rule) {
    List<String> expressions = new ArrayList<>();
    for (PlanDefinitionActionComponent action : allActions(rule)) {
      action.getCondition().forEach(c -> expressions.add(c.getExpression().getExpression()));
      action.getTrigger().stream().filter(t -> t.hasCondition()).forEach(t -> expressions.add(t.getCondition().getExpression()));
    }
    return expressions;
  }

  @Test
  void riskRulesAreEcaRulesWithAlertKindUrgencyPriorityTriggersAndFhirPathConditions() {
    List<PlanDefinition> rules = riskRules();
    assertTrue(rules.size() >= 10, "the rules of the domain file's warning signs and recovery checks: " + rules.size());
    Set<String> kinds = conceptChildren("alert-kind");
    Set<String> urgencies = conceptChildren("alert-urgency");
    Set<String> kindsCovered = new HashSet<>();
    var fhirPath = CONTEXT.newFhirPath();
    StringBuilder problems = new StringBuilder();
    for (PlanDefinition rule : rules) {
      String id = rule.getIdElement().getIdPart();
      if (rule.getAction().size() != 1) {
        problems.append(id).append(": one action per rule\n");
        continue;
      }
      PlanDefinitionActionComponent action = rule.getActionFirstRep();
      List<String> codes = action.getCode().stream().flatMap(c -> c.getCoding().stream())
          .filter(c -> PATHWAY_CS.equals(c.getSystem())).map(Coding::getCode).toList();
      List<String> kind = codes.stream().filter(kinds::contains).toList();
      List<String> urgency = codes.stream().filter(urgencies::contains).toList();
      if (kind.size() != 1 || urgency.size() != 1) {
        problems.append(id).append(": action.code needs one alert kind and one alert urgency, has ").append(codes).append('\n');
        continue;
      }
      kindsCovered.add(kind.get(0));
      if (!action.hasPriority() || !PRIORITY_BY_URGENCY.get(urgency.get(0)).equals(action.getPriority().toCode())) {
        problems.append(id).append(": priority of a ").append(urgency.get(0)).append(" alert is ")
            .append(PRIORITY_BY_URGENCY.get(urgency.get(0))).append('\n');
      }
      if (!action.hasTitle() || !action.hasDescription() || action.getDescription().length() < 40) {
        problems.append(id).append(": title and a plain-language care-team instruction (description) are required\n");
      }
      if (action.getDocumentation().isEmpty() || action.getDocumentation().stream().anyMatch(d -> !d.hasDisplay())
          || rule.getRelatedArtifact().stream().noneMatch(r -> r.getType() == org.hl7.fhir.r4.model.RelatedArtifact.RelatedArtifactType.CITATION)) {
        problems.append(id).append(": documentation and relatedArtifact citations naming the sources are required\n");
      }
      if (action.getTrigger().isEmpty()) {
        problems.append(id).append(": no trigger\n");
      }
      for (var trigger : action.getTrigger()) {
        if (trigger.getData().isEmpty() || trigger.getData().stream()
            .anyMatch(d -> !Set.of("QuestionnaireResponse", "Observation").contains(d.getType()))) {
          problems.append(id).append(": a trigger names QuestionnaireResponse or Observation data\n");
        }
        if (trigger.hasCondition() && !"text/fhirpath".equals(trigger.getCondition().getLanguage())) {
          problems.append(id).append(": trigger conditions are text/fhirpath\n");
        }
      }
      var applicability = action.getCondition().stream()
          .filter(c -> c.getKind() == PlanDefinition.ActionConditionKind.APPLICABILITY).toList();
      if (applicability.isEmpty() || applicability.stream().anyMatch(c -> !"text/fhirpath".equals(c.getExpression().getLanguage())
          || !c.getExpression().hasDescription())) {
        problems.append(id).append(": needs applicability conditions in text/fhirpath with a description\n");
      }
      for (String expression : ruleExpressions(rule)) {
        try {
          fhirPath.parse(expression);
        } catch (Exception e) {
          problems.append(id).append(": FHIRPath does not parse: ").append(expression).append(" (").append(e.getMessage()).append(")\n");
        }
      }
      boolean tellsPatient = action.getAction().stream().anyMatch(sub -> sub.hasDescription()
          && sub.getParticipant().stream().anyMatch(p -> p.getType() == PlanDefinition.ActionParticipantType.PATIENT));
      if (urgency.get(0).equals("emergency") != tellsPatient) {
        problems.append(id).append(": an emergency rule (and only one) has a patient-facing sub-action\n");
      }
    }
    if (problems.length() > 0) {
      fail(problems.toString());
    }
    assertEquals(kinds, kindsCovered, "every alert kind has a rule");
  }

  @Test
  void everyVariableOfARiskRuleIsADeclaredParameterOrAnEngineFact() {
    Set<String> engine = new HashSet<>(org.carepath.monitoring.RuleVariables.NAMES);
    engine.add("resource");
    for (PlanDefinition rule : riskRules()) {
      Map<String, Extension> declared = parameters(rule);
      for (String expression : ruleExpressions(rule)) {
        Matcher m = PARAMETER_REFERENCE.matcher(expression);
        while (m.find()) {
          assertTrue(engine.contains(m.group(1)) || declared.containsKey(m.group(1)),
              rule.getUrl() + " uses %" + m.group(1) + ", neither a declared parameter nor an engine fact");
        }
      }
      for (Map.Entry<String, Extension> parameter : declared.entrySet()) {
        String description = ((StringType) parameter.getValue().getExtensionByUrl("description").getValue()).getValue();
        assertTrue(description.contains("Source") || description.contains("(") , rule.getUrl() + ": " + parameter.getKey() + " names its source");
        assertTrue(description.length() > 30, rule.getUrl() + ": " + parameter.getKey() + " describes itself");
        if (parameter.getValue().getExtensionByUrl("value").getValue() instanceof Quantity q) {
          assertEquals(UCUM, q.getSystem(), parameter.getKey() + " uses UCUM");
        }
      }
    }
  }

  @Test
  void everyItemARiskRuleAsksAboutIsInTheCheckIn() {
    Questionnaire checkIn = (Questionnaire) CONTENT.findByCanonicalUrl(BASE + "/Questionnaire/recovery-check-in").orElseThrow();
    Set<String> items = new HashSet<>();
    checkIn.getItem().forEach(i -> items.add(i.getLinkId()));
    for (PlanDefinition rule : riskRules()) {
      for (String expression : ruleExpressions(rule)) {
        Matcher m = LINK_ID.matcher(expression);
        while (m.find()) {
          assertTrue(items.contains(m.group(1)), rule.getUrl() + " asks about '" + m.group(1) + "', not an item of the check-in");
        }
      }
    }
  }

  @Test
  void everyObservationARiskRuleWatchesIsExtractedFromAQuestionnaire() {
    Set<String> extracted = new HashSet<>();
    for (Questionnaire q : CONTENT.getDefinitions(Questionnaire.class)) {
      List<Questionnaire.QuestionnaireItemComponent> queue = new ArrayList<>(q.getItem());
      while (!queue.isEmpty()) {
        var item = queue.remove(0);
        queue.addAll(item.getItem());
        Extension mark = item.getExtensionByUrl(BASE + "/StructureDefinition/observation-extract");
        if (mark != null && ((BooleanType) mark.getValue()).booleanValue()) {
          assertFalse(item.getCode().isEmpty(), q.getUrl() + ": an extracted item " + item.getLinkId() + " needs a code");
          item.getCode().forEach(c -> extracted.add(c.getSystem() + "|" + c.getCode()));
        }
      }
    }
    assertTrue(extracted.containsAll(Set.of("http://loinc.org|72514-3", "http://loinc.org|8310-5", "http://loinc.org|97909-6")), extracted.toString());
    for (PlanDefinition rule : riskRules()) {
      for (var trigger : rule.getActionFirstRep().getTrigger()) {
        for (var data : trigger.getData()) {
          for (var filter : data.getCodeFilter()) {
            for (Coding code : filter.getCode()) {
              assertTrue(extracted.contains(code.getSystem() + "|" + code.getCode()),
                  rule.getUrl() + " watches " + code.getCode() + ", which no Questionnaire records as an Observation");
            }
          }
        }
      }
    }
  }

  @Test
  void aRiskRuleWithAnUnknownAlertKindIsRejected() {
    PlanDefinition rule = riskRules().get(0).copy();
    rule.getActionFirstRep().getCodeFirstRep().getCodingFirstRep().setCode("no-such-kind");
    assertRejected(rule, "no-such-kind");
  }

  // ------------------------------------------------------------------ the Questionnaires

  @Test
  void recoveryCheckInHasTheItemsTheMonitoringRulesUse() {
    Questionnaire q = (Questionnaire) CONTENT.findByCanonicalUrl(BASE + "/Questionnaire/recovery-check-in").orElseThrow();
    Map<String, String> expected = new java.util.LinkedHashMap<>();
    expected.put("temperature", "decimal");
    expected.put("fever", "boolean");
    expected.put("wound-redness-swelling-drainage", "boolean");
    expected.put("joint-warmth-swelling", "boolean");
    expected.put("leg-numbness-weakness", "boolean");
    expected.put("bowel-bladder-change", "boolean");
    expected.put("calf-pain-swelling", "boolean");
    expected.put("chest-pain-breathless", "boolean");
    expected.put("pain-uncontrolled", "boolean");
    expected.put("pain-score", "integer");
    Map<String, Questionnaire.QuestionnaireItemComponent> items = new HashMap<>();
    q.getItem().forEach(i -> items.put(i.getLinkId(), i));
    expected.forEach((linkId, type) -> {
      assertTrue(items.containsKey(linkId), "item " + linkId);
      assertEquals(type, items.get(linkId).getType().toCode(), "type of " + linkId);
    });
    assertTrue(items.get("fever").getRequired());
    assertTrue(items.get("pain-score").getRequired());
    assertEquals("386661006", items.get("fever").getCodeFirstRep().getCode());
    assertEquals("8310-5", items.get("temperature").getCodeFirstRep().getCode());
    assertEquals("72514-3", items.get("pain-score").getCodeFirstRep().getCode());
    assertEquals(11, items.get("pain-score").getAnswerOption().size());
  }

  @Test
  void questionnaireLinkIdsAreStableLowercaseHyphenatedAndUnique() {
    for (Questionnaire q : CONTENT.getDefinitions(Questionnaire.class)) {
      Set<String> seen = new HashSet<>();
      List<Questionnaire.QuestionnaireItemComponent> queue = new ArrayList<>(q.getItem());
      while (!queue.isEmpty()) {
        var item = queue.remove(0);
        assertTrue(item.getLinkId().matches("[a-z0-9]+(-[a-z0-9]+)*"), q.getUrl() + ": linkId " + item.getLinkId());
        assertTrue(seen.add(item.getLinkId()), q.getUrl() + ": duplicate linkId " + item.getLinkId());
        queue.addAll(item.getItem());
      }
    }
  }

  @Test
  void odiHasTenSectionsScoredZeroToFiveAndAScore() {
    Questionnaire q = (Questionnaire) CONTENT.findByCanonicalUrl(BASE + "/Questionnaire/oswestry-disability-index").orElseThrow();
    assertEquals("97908-8", q.getCodeFirstRep().getCode());
    var sections = q.getItem().get(0).getItem();
    assertEquals(10, sections.size());
    for (var section : sections) {
      List<Integer> ordinals = new ArrayList<>();
      for (var option : section.getAnswerOption()) {
        Extension ordinal = option.getExtensionByUrl("http://hl7.org/fhir/StructureDefinition/ordinalValue");
        assertNotNull(ordinal, section.getLinkId() + ": ordinalValue");
        ordinals.add(((org.hl7.fhir.r4.model.DecimalType) ordinal.getValue()).getValue().intValueExact());
      }
      assertEquals(List.of(0, 1, 2, 3, 4, 5), ordinals, section.getLinkId());
    }
    var score = q.getItem().get(1);
    assertEquals("odi-score", score.getLinkId());
    assertEquals("97909-6", score.getCodeFirstRep().getCode());
    assertTrue(score.getText().contains("81-100 bed-bound"), "the severity bands are stated");
  }

  // ------------------------------------------------------------------ helpers

  static PlanDefinition planDefinition() {
    return (PlanDefinition) CONTENT.findByCanonicalUrl(PLAN_URL).orElseThrow();
  }

  static Map<String, Extension> parameters(PlanDefinition plan) {
    Map<String, Extension> declared = new HashMap<>();
    for (Extension parameter : plan.getExtensionsByUrl(PARAMETER_EXT)) {
      String name = ((PrimitiveType<?>) parameter.getExtensionByUrl("name").getValue()).getValueAsString();
      assertTrue(declared.put(name, parameter) == null, "parameter " + name + " declared twice");
    }
    return declared;
  }

  private void checkDuration(StringBuilder problems, String where, Duration duration) {
    if (!UCUM.equals(duration.getSystem()) || !Set.of("h", "d", "wk", "mo").contains(duration.getCode())) {
      problems.append(where).append(": not a UCUM duration in h, d, wk or mo\n");
    }
    if (!duration.hasValue() || duration.getValue().signum() < 0) {
      problems.append(where).append(": needs a value >= 0\n");
    }
    Extension expression = duration.getValueElement().getExtensionByUrl(CQF_EXPRESSION);
    if (expression != null) {
      Matcher m = PARAMETER_REFERENCE.matcher(((Expression) expression.getValue()).getExpression());
      Extension parameter = m.matches() ? parameters(planDefinition()).get(m.group(1)) : null;
      if (parameter == null) {
        problems.append(where).append(": cqf-expression does not name a declared parameter\n");
      } else if (parameter.getExtensionByUrl("value").getValue() instanceof Quantity q) {
        if (!q.getCode().equals(duration.getCode()) || q.getValue().compareTo(duration.getValue()) != 0) {
          problems.append(where).append(": default ").append(duration.getValue()).append(' ').append(duration.getCode())
              .append(" differs from parameter ").append(m.group(1)).append(" = ").append(q.getValue()).append(' ').append(q.getCode()).append('\n');
        }
      } else {
        problems.append(where).append(": parameter ").append(m.group(1)).append(" used as a duration must be a Quantity\n");
      }
    }
  }

  /** The cqf-expression extensions on the numbers of the timings (the terser skips primitives). */
  static List<Extension> expressionExtensions(PlanDefinition plan) {
    List<org.hl7.fhir.r4.model.Element> numbers = new ArrayList<>();
    for (PlanDefinitionActionComponent action : allActions(plan)) {
      for (var rel : action.getRelatedAction()) {
        if (rel.getOffset() instanceof Duration d) {
          numbers.add(d.getValueElement());
        }
      }
      if (action.hasTimingTiming()) {
        var repeat = action.getTimingTiming().getRepeat();
        if (repeat.hasBoundsDuration()) {
          numbers.add(repeat.getBoundsDuration().getValueElement());
        }
        numbers.add(repeat.getPeriodElement());
        numbers.add(repeat.getFrequencyElement());
      }
    }
    List<Extension> found = new ArrayList<>();
    numbers.forEach(n -> found.addAll(n.getExtensionsByUrl(CQF_EXPRESSION)));
    return found;
  }

  static List<PlanDefinitionActionComponent> leaves(PlanDefinition plan) {
    return allActions(plan).stream().filter(a -> a.getAction().isEmpty()).toList();
  }

  static List<PlanDefinitionActionComponent> allActions(PlanDefinition plan) {
    List<PlanDefinitionActionComponent> all = new ArrayList<>();
    List<PlanDefinitionActionComponent> queue = new ArrayList<>(plan.getAction());
    while (!queue.isEmpty()) {
      PlanDefinitionActionComponent next = queue.remove(0);
      all.add(next);
      queue.addAll(next.getAction());
    }
    return all;
  }

  static PlanDefinitionActionComponent group(PlanDefinition plan, String phase) {
    return plan.getAction().stream().filter(g -> phase.equals(localCode(g).getCode())).findFirst().orElseThrow();
  }

  static Coding localCode(PlanDefinitionActionComponent action) {
    return action.getCode().stream().flatMap(c -> c.getCoding().stream())
        .filter(c -> PATHWAY_CS.equals(c.getSystem())).findFirst().orElse(null);
  }

  static Set<String> conceptChildren(String parent) {
    CodeSystem cs = (CodeSystem) CONTENT.findByCanonicalUrl(PATHWAY_CS).orElseThrow();
    Set<String> codes = new HashSet<>();
    cs.getConcept().stream().filter(c -> c.getCode().equals(parent))
        .flatMap(c -> c.getConcept().stream()).forEach(c -> codes.add(c.getCode()));
    return codes;
  }

  static QuestionnaireResponse.QuestionnaireResponseItemComponent item(QuestionnaireResponse qr, String linkId) {
    return qr.getItem().stream().filter(i -> i.getLinkId().equals(linkId)).findFirst().orElseThrow();
  }

  static <T extends IBaseResource> T example(Class<T> type, String id) {
    for (IBaseResource example : CONTENT.getExamples()) {
      if (type.isInstance(example) && id.equals(example.getIdElement().getIdPart())) {
        @SuppressWarnings("unchecked")
        T copy = (T) ((org.hl7.fhir.r4.model.Resource) example).copy();
        return copy;
      }
    }
    throw new AssertionError("no example " + type.getSimpleName() + "/" + id);
  }

  static void assertRejected(IBaseResource resource, String expectedMessagePart) {
    ValidationResult result = VALIDATION.validate(resource);
    List<SingleValidationMessage> errors = errors(result);
    assertFalse(errors.isEmpty(), "expected a validation error containing '" + expectedMessagePart + "', got none");
    assertTrue(errors.stream().anyMatch(m -> m.getMessage().contains(expectedMessagePart)),
        "expected an error containing '" + expectedMessagePart + "', got:\n" + describe(errors));
  }

  static void assertAccepted(IBaseResource resource) {
    List<SingleValidationMessage> errors = errors(VALIDATION.validate(resource));
    assertTrue(errors.isEmpty(), "expected no errors, got:\n" + describe(errors));
  }

}
