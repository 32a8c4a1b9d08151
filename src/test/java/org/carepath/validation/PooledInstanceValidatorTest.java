package org.carepath.validation;

import static org.carepath.validation.FhirProfilesContentTest.example;
import static org.carepath.validation.FhirProfilesContentTest.item;
import static org.carepath.validation.SharedValidation.CONTENT;
import static org.carepath.validation.SharedValidation.CONTEXT;
import static org.carepath.validation.SharedValidation.VALIDATION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ValidationOptions;
import ca.uhn.fhir.validation.ValidationResult;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.IntegerType;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.QuestionnaireResponse;
import org.hl7.fhir.r4.model.StringType;
import org.junit.jupiter.api.Test;

/**
 * The reused InstanceValidators give exactly HAPI's own results: every issue (severity, location,
 * message, message id) of valid and invalid resources, as resources and as received text, whatever
 * the order and however often a validator has been used before.
 */
class PooledInstanceValidatorTest {

  /** A named input and how to validate it with a given validator. */
  record Case(String name, Function<FhirValidator, ValidationResult> validation) {}

  @Test
  void reusedValidatorsReportWhatHapisOwnValidatorReports() {
    FhirValidator hapi = validator(new FhirInstanceValidator(VALIDATION.getValidationSupport()));
    PooledInstanceValidator pooled = new PooledInstanceValidator(VALIDATION.getValidationSupport(), 1);
    FhirValidator reusing = validator(pooled);
    List<Case> cases = cases();
    assertTrue(cases.stream().anyMatch(c -> hasErrors(c.validation().apply(hapi))), "no invalid input among the cases");
    assertTrue(cases.stream().anyMatch(c -> !hasErrors(c.validation().apply(hapi))), "no valid input among the cases");

    List<String> expected = cases.stream().map(c -> describe(c.validation().apply(hapi))).toList();
    // three rounds, the second in reverse order: each validator is reused by the other inputs
    for (int round = 0; round < 3; round++) {
      for (int n = 0; n < cases.size(); n++) {
        int i = round == 1 ? cases.size() - 1 - n : n;
        assertEquals(expected.get(i), describe(cases.get(i).validation().apply(reusing)),
            cases.get(i).name() + ", round " + round);
      }
    }
    int calls = 3 * cases.size();
    assertEquals((calls + PooledInstanceValidator.USES_PER_VALIDATOR - 1) / PooledInstanceValidator.USES_PER_VALIDATOR,
        pooled.validatorsBuilt(), "one validator at a time, reused until retired after its uses");
  }

  @Test
  void validatorsAreRetiredWhenTheCachesAreInvalidated() {
    PooledInstanceValidator pooled = new PooledInstanceValidator(VALIDATION.getValidationSupport(), 1);
    FhirValidator reusing = validator(pooled);
    IBaseResource checkIn = example(QuestionnaireResponse.class, "recovery-check-in-example");
    reusing.validateWithResult(checkIn);
    reusing.validateWithResult(checkIn);
    assertEquals(1, pooled.validatorsBuilt());
    pooled.retireValidators();
    reusing.validateWithResult(checkIn);
    assertEquals(2, pooled.validatorsBuilt(), "a validator built before the invalidation was reused");
  }

  @Test
  void concurrentCallsGetTheirOwnValidators() throws Exception {
    FhirValidator hapi = validator(new FhirInstanceValidator(VALIDATION.getValidationSupport()));
    PooledInstanceValidator pooled = new PooledInstanceValidator(VALIDATION.getValidationSupport(), 2);
    FhirValidator reusing = validator(pooled);
    List<Case> cases = cases();
    List<String> expected = cases.stream().map(c -> describe(c.validation().apply(hapi))).toList();
    ExecutorService threads = Executors.newFixedThreadPool(4);
    try {
      List<Future<String>> results = new ArrayList<>();
      for (int round = 0; round < 3; round++) {
        for (Case c : cases) {
          results.add(threads.submit(() -> describe(c.validation().apply(reusing))));
        }
      }
      for (int i = 0; i < results.size(); i++) {
        assertEquals(expected.get(i % cases.size()), results.get(i).get(), cases.get(i % cases.size()).name());
      }
    } finally {
      threads.shutdownNow();
    }
  }

  private static FhirValidator validator(FhirInstanceValidator module) {
    module.setErrorForUnknownProfiles(true); // as FhirValidation
    FhirValidator validator = CONTEXT.newValidator();
    validator.registerValidatorModule(module);
    return validator;
  }

  private static List<Case> cases() {
    List<Case> cases = new ArrayList<>();
    for (ConformanceResources.ContentFile file : CONTENT.getExampleFiles()) {
      IBaseResource resource = file.resource();
      String profile = resource.getMeta().getProfile().isEmpty() ? null : resource.getMeta().getProfile().get(0).getValue();
      cases.add(new Case(file.fileName() + " (resource)", v -> v.validateWithResult(resource)));
      cases.add(new Case(file.fileName() + " (text, profile)", v -> v.validateWithResult(file.text(), options(profile))));
    }
    for (ConformanceResources.ContentFile file : CONTENT.getDefinitionFiles().subList(0, Math.min(8, CONTENT.getDefinitionFiles().size()))) {
      cases.add(new Case(file.fileName() + " (text)", v -> v.validateWithResult(file.text())));
    }

    QuestionnaireResponse missingAnswer = example(QuestionnaireResponse.class, "recovery-check-in-example");
    missingAnswer.getItem().removeIf(i -> i.getLinkId().equals("fever"));
    cases.add(resource("check-in missing a required answer", missingAnswer));
    QuestionnaireResponse wrongType = example(QuestionnaireResponse.class, "recovery-check-in-example");
    item(wrongType, "fever").getAnswerFirstRep().setValue(new StringType("yes"));
    cases.add(resource("check-in with a string for a boolean", wrongType));
    QuestionnaireResponse outOfOptions = example(QuestionnaireResponse.class, "recovery-check-in-example");
    item(outOfOptions, "pain-score").getAnswerFirstRep().setValue(new IntegerType(11));
    cases.add(resource("check-in with a pain score of 11", outOfOptions));
    QuestionnaireResponse unknownItem = example(QuestionnaireResponse.class, "recovery-check-in-example");
    unknownItem.addItem().setLinkId("unknown-item").addAnswer().setValue(new BooleanType(true));
    cases.add(resource("check-in with an unknown item", unknownItem));
    QuestionnaireResponse noAuthored = example(QuestionnaireResponse.class, "recovery-check-in-example");
    noAuthored.setAuthoredElement(null);
    cases.add(resource("check-in without authored", noAuthored));
    Procedure outsideValueSet = example(Procedure.class, "si-fusion-scheduled");
    outsideValueSet.getCode().getCoding().clear();
    outsideValueSet.getCode().addCoding(new Coding("http://www.ama-assn.org/go/cpt", "27096", "SI joint injection"));
    cases.add(resource("procedure code outside the value set", outsideValueSet));
    Procedure unknownProfile = example(Procedure.class, "si-fusion-scheduled");
    unknownProfile.getMeta().addProfile(ConformanceResources.CANONICAL_BASE + "/StructureDefinition/no-such-profile");
    cases.add(resource("procedure claiming an unknown profile", unknownProfile));
    IBaseResource checkIn = example(QuestionnaireResponse.class, "recovery-check-in-example");
    cases.add(new Case("check-in against an unknown extra profile",
        v -> v.validateWithResult(checkIn, options("http://example.org/StructureDefinition/unknown"))));
    cases.add(new Case("resource without profiles against an unknown profile",
        v -> v.validateWithResult(new org.hl7.fhir.r4.model.Patient(), options("http://example.org/StructureDefinition/unknown"))));
    cases.add(new Case("malformed element in text",
        v -> v.validateWithResult("{\"resourceType\":\"Patient\",\"birthDate\":\"not a date\",\"unknownElement\":1}")));
    cases.add(new Case("XML text",
        v -> v.validateWithResult("<Patient xmlns=\"http://hl7.org/fhir\"><gender value=\"unknown-gender\"/></Patient>")));
    return cases;
  }

  private static Case resource(String name, IBaseResource resource) {
    return new Case(name, v -> v.validateWithResult(resource));
  }

  private static ValidationOptions options(String profile) {
    ValidationOptions options = new ValidationOptions();
    if (profile != null) {
      options.addProfile(profile);
    }
    return options;
  }

  private static boolean hasErrors(ValidationResult result) {
    return !SharedValidation.errors(result).isEmpty();
  }

  private static String describe(ValidationResult result) {
    assertFalse(result.getMessages().isEmpty() && !result.isSuccessful(), "a failed result without messages");
    StringBuilder text = new StringBuilder();
    result.getMessages().forEach(m -> text.append(m.getSeverity()).append(" @ ").append(m.getLocationString())
        .append(" [").append(m.getLocationLine()).append(':').append(m.getLocationCol()).append("] ")
        .append(m.getMessageId()).append(": ").append(m.getMessage()).append('\n'));
    return text.toString();
  }
}
