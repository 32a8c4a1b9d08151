package org.carepath.validation;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.util.FhirTerser;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * Serves canonical resources that HAPI's {@code PrePopulatedValidationSupport} does not hold
 * (Questionnaire, PlanDefinition, ActivityDefinition, ...) through {@link #fetchResource}, so that
 * the validator can resolve them, notably the Questionnaire of a QuestionnaireResponse.
 *
 * <p>Lookup by canonical URL, with or without {@code |version} (a version that does not match is
 * not found). Immutable after construction; thread-safe.
 */
public class CanonicalResourceValidationSupport implements IValidationSupport {

  /** Types served here; StructureDefinition, CodeSystem, ValueSet and SearchParameter are not. */
  private static final Set<String> EXCLUDED_TYPES =
      Set.of("StructureDefinition", "CodeSystem", "ValueSet", "SearchParameter");

  private final FhirContext fhirContext;
  private final Map<String, IBaseResource> byUrl;

  public CanonicalResourceValidationSupport(FhirContext fhirContext, Collection<? extends IBaseResource> resources) {
    this.fhirContext = fhirContext;
    FhirTerser terser = fhirContext.newTerser();
    Map<String, IBaseResource> map = new LinkedHashMap<>();
    for (IBaseResource resource : resources) {
      String type = fhirContext.getResourceType(resource);
      if (EXCLUDED_TYPES.contains(type) || fhirContext.getResourceDefinition(resource).getChildByName("url") == null) {
        continue;
      }
      String url = terser.getSinglePrimitiveValueOrNull(resource, "url");
      if (url != null) {
        map.put(url, resource);
      }
    }
    this.byUrl = Collections.unmodifiableMap(map);
  }

  @Override
  public FhirContext getFhirContext() {
    return fhirContext;
  }

  @Override
  public String getName() {
    return "CarePath canonical resources";
  }

  @Override
  public <T extends IBaseResource> T fetchResource(Class<T> theClass, String theUri) {
    if (theUri == null) {
      return null;
    }
    if (theClass != null) {
      String wanted = theClass == IBaseResource.class ? null : fhirContext.getResourceType(theClass);
      if (wanted != null && EXCLUDED_TYPES.contains(wanted)) {
        return IValidationSupport.super.fetchResource(theClass, theUri);
      }
    }
    String url = ConformanceResources.stripVersion(theUri);
    IBaseResource found = byUrl.get(url);
    if (found == null) {
      return null;
    }
    if (!url.equals(theUri)) {
      String version = theUri.substring(url.length() + 1);
      String actual = fhirContext.newTerser().getSinglePrimitiveValueOrNull(found, "version");
      if (!version.equals(actual)) {
        return null;
      }
    }
    if (theClass != null && !theClass.isInstance(found)) {
      return null;
    }
    @SuppressWarnings("unchecked")
    T result = (T) found;
    return result;
  }

  /** The resources served, in content order. */
  public List<IBaseResource> getResources() {
    return new ArrayList<>(byUrl.values());
  }
}
