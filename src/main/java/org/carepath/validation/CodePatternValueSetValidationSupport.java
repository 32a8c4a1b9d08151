package org.carepath.validation;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.ConceptValidationOptions;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.context.support.ValidationSupportContext;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.ValueSet;

/**
 * Checks membership of a code in a project ValueSet that includes an external code system by a
 * {@code regex} filter on the {@code code} property (e.g. ICD-10-PCS {@code 0SG[78][0-9A-Z]{3}},
 * "fusion of the right or left sacroiliac joint").
 *
 * <p>HAPI's {@code InMemoryTerminologyServerValidationSupport} cannot apply a filter without the
 * code system's content (ICD-10-PCS is not available offline): in HAPI 8.8.1 it fails with a
 * NullPointerException that the validator reports as a mere warning, so no code of that system
 * would ever be rejected. This support answers instead, for codes of such a system only: a code
 * that matches the pattern (and is not excluded) is accepted with a warning that the code system
 * itself could not be checked; any other code of that system is not in the value set. Codes of
 * other systems are left to the rest of the chain.
 *
 * <p>R4 only. Immutable after construction; thread-safe.
 */
public class CodePatternValueSetValidationSupport implements IValidationSupport {

  private final FhirContext fhirContext;
  private final Set<String> valueSetUrls;

  public CodePatternValueSetValidationSupport(FhirContext fhirContext, Collection<? extends IBaseResource> resources) {
    this.fhirContext = fhirContext;
    Set<String> urls = new HashSet<>();
    for (IBaseResource resource : resources) {
      if (resource instanceof ValueSet vs && vs.hasUrl() && hasRegexInclude(vs)) {
        urls.add(vs.getUrl());
      }
    }
    this.valueSetUrls = Collections.unmodifiableSet(urls);
  }

  private static boolean hasRegexInclude(ValueSet vs) {
    return vs.getCompose().getInclude().stream().anyMatch(CodePatternValueSetValidationSupport::isRegexOnCode);
  }

  private static boolean isRegexOnCode(ValueSet.ConceptSetComponent include) {
    return include.hasSystem()
        && !include.hasConcept()
        && !include.hasValueSet()
        && include.hasFilter()
        && include.getFilter().stream()
            .allMatch(f -> f.getOp() == ValueSet.FilterOperator.REGEX && "code".equals(f.getProperty()));
  }

  @Override
  public FhirContext getFhirContext() {
    return fhirContext;
  }

  @Override
  public String getName() {
    return "CarePath code-pattern value sets";
  }

  @Override
  public boolean isValueSetSupported(ValidationSupportContext context, String valueSetUrl) {
    return valueSetUrl != null && valueSetUrls.contains(ConformanceResources.stripVersion(valueSetUrl));
  }

  @Override
  public CodeValidationResult validateCodeInValueSet(
      ValidationSupportContext context,
      ConceptValidationOptions options,
      String codeSystem,
      String code,
      String display,
      IBaseResource valueSet) {
    if (!(valueSet instanceof ValueSet vs) || codeSystem == null || code == null || !vs.hasUrl()
        || !valueSetUrls.contains(vs.getUrl())) {
      return null;
    }
    List<ValueSet.ConceptSetComponent> patternIncludes = vs.getCompose().getInclude().stream()
        .filter(i -> codeSystem.equals(i.getSystem()) && isRegexOnCode(i))
        .toList();
    if (patternIncludes.isEmpty()) {
      return null; // not a pattern-included system: the in-memory terminology decides
    }
    boolean included = patternIncludes.stream().anyMatch(i -> matchesAll(i, code));
    boolean excluded = vs.getCompose().getExclude().stream()
        .filter(e -> codeSystem.equals(e.getSystem()))
        .anyMatch(e -> e.getConcept().stream().anyMatch(c -> code.equals(c.getCode()))
            || (isRegexOnCode(e) && matchesAll(e, code)));
    if (included && !excluded) {
      return new CodeValidationResult()
          .setCode(code)
          .setDisplay(display)
          .setSeverity(IssueSeverity.WARNING)
          .setMessage("Code '" + code + "' of code system '" + codeSystem + "' matches the pattern of value set '"
              + vs.getUrl() + "'; the code system is not available offline, so the code itself was not checked");
    }
    return new CodeValidationResult()
        .setSeverity(IssueSeverity.ERROR)
        .setMessage("Code '" + code + "' of code system '" + codeSystem + "' is not in value set '" + vs.getUrl()
            + "' (allowed codes of that system match " + describe(patternIncludes) + ")");
  }

  private static boolean matchesAll(ValueSet.ConceptSetComponent include, String code) {
    for (ValueSet.ConceptSetFilterComponent filter : include.getFilter()) {
      try {
        if (!Pattern.compile(filter.getValue()).matcher(code).matches()) {
          return false;
        }
      } catch (PatternSyntaxException e) {
        return false;
      }
    }
    return true;
  }

  private static String describe(List<ValueSet.ConceptSetComponent> includes) {
    return includes.stream()
        .flatMap(i -> i.getFilter().stream())
        .map(ValueSet.ConceptSetFilterComponent::getValue)
        .reduce((a, b) -> a + " or " + b)
        .orElse("");
  }
}
