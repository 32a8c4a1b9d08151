package org.carepath.validation;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import ca.uhn.fhir.validation.ValidationResult;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The one validation chain of the test JVM, built and warmed once (15-30 s), shared by every test
 * class of this package.
 */
final class SharedValidation {

  static final FhirContext CONTEXT = FhirContext.forR4Cached();
  static final ConformanceResources CONTENT;
  static final FhirValidation VALIDATION;

  static {
    long start = System.nanoTime();
    CONTENT = new ConformanceResources(CONTEXT);
    VALIDATION = new FhirValidation(CONTEXT, CONTENT);
    VALIDATION.warmUp();
    System.out.printf("FhirValidation built and warmed in %d ms%n", (System.nanoTime() - start) / 1_000_000);
  }

  private SharedValidation() {}

  static List<SingleValidationMessage> errors(ValidationResult result) {
    return result.getMessages().stream()
        .filter(m -> m.getSeverity() == ResultSeverityEnum.ERROR || m.getSeverity() == ResultSeverityEnum.FATAL)
        .toList();
  }

  static String describe(List<SingleValidationMessage> messages) {
    return messages.stream()
        .map(m -> "  " + m.getSeverity() + " @ " + m.getLocationString() + ": " + m.getMessage())
        .collect(Collectors.joining("\n"));
  }
}
