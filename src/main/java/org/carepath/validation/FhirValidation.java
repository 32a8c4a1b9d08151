package org.carepath.validation;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.context.support.ValidationSupportContext;
import ca.uhn.fhir.util.FhirTerser;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ValidationOptions;
import ca.uhn.fhir.validation.ValidationResult;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.PrePopulatedValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.UnknownCodeSystemWarningValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * The one HAPI validation chain of the server: FHIR R4 core definitions plus the project's
 * profiles, extensions, code systems, value sets and questionnaires, all offline.
 *
 * <p>Chain order (first answer wins):
 *
 * <ol>
 *   <li>{@link DefaultProfileValidationSupport}: the R4 core package (structure definitions,
 *       value sets, code systems, core extensions);
 *   <li>a {@link PrePopulatedValidationSupport} with the project's StructureDefinitions (with
 *       generated snapshots), CodeSystems and ValueSets from {@code fhir-profiles/resources/};
 *   <li>a {@link CanonicalResourceValidationSupport} with the project's other canonical resources
 *       (Questionnaires, PlanDefinition, ActivityDefinitions), so that the validator resolves them;
 *   <li>the optional extra support given to the constructor (e.g. a fetcher of Questionnaires
 *       stored in the server's database);
 *   <li>{@link CommonCodeSystemsTerminologyService} (UCUM, languages, mime types, ...);
 *   <li>{@link CodePatternValueSetValidationSupport}: membership of codes of an external code system
 *       that a project ValueSet includes by a regex filter on the code (ICD-10-PCS 0SG7/0SG8),
 *       which HAPI's in-memory terminology cannot evaluate without the code system;
 *   <li>{@link InMemoryTerminologyServerValidationSupport} (expands and checks value sets over the
 *       code systems above);
 *   <li>{@link SnapshotGeneratingValidationSupport};
 *   <li>{@link UnknownCodeSystemWarningValidationSupport} at WARNING: codes of systems that cannot
 *       be checked offline (CPT, ICD-10-CM/PCS, LOINC, SNOMED CT) give a warning, not an error.
 * </ol>
 *
 * <p>The validator checks a resource against its base type, against every profile in its {@code
 * meta.profile} and, where asked, against one more profile. A QuestionnaireResponse is checked
 * against its Questionnaire (required items, answer types, answer options) when the Questionnaire
 * can be fetched through the chain, which is always the case for the project's Questionnaires.
 *
 * <p>Also: a CodeableConcept satisfies a binding when one of its codings is in the value set (the
 * FHIR rule; HAPI's default wants every coding valid). Unknown extensions are accepted (HAPI's
 * default), unknown profiles in {@code meta.profile} are errors.
 *
 * <p>Build one instance per JVM and share it. Construction takes 10-20 s: generating the
 * profiles' snapshots loads the R4 core definitions (so {@link #warmUp()} is then quick); keep it
 * off the request path, e.g. build it in the background at start-up. Later validations take about
 * 100 ms. All methods are thread-safe.
 */
public class FhirValidation {

  private final FhirContext fhirContext;
  private final ConformanceResources content;
  private final ValidationSupportChain chain;
  private final FhirValidator validator;
  private final PooledInstanceValidator instanceValidator;
  private final List<IBaseResource> conformanceResources;
  private final Set<String> projectProfileUrls;

  public FhirValidation(FhirContext fhirContext, ConformanceResources content) {
    this(fhirContext, content, null);
  }

  /**
   * @param extraSupport optional (may be {@code null}): placed in the chain after the project's
   *     content and before the terminology services, e.g. to fetch Questionnaires stored by the
   *     server (implement {@link IValidationSupport#fetchResource(Class, String)}, answering for
   *     {@code Questionnaire} canonical URLs, possibly with {@code |version}, and {@code null}
   *     otherwise). Project content wins over it for the same canonical URL. The chain caches
   *     answers for up to 10 minutes: call {@link #invalidateCaches()} when stored content changes.
   */
  public FhirValidation(
      FhirContext fhirContext, ConformanceResources content, IValidationSupport extraSupport) {
    this.fhirContext = Objects.requireNonNull(fhirContext, "fhirContext");
    this.content = Objects.requireNonNull(content, "content");

    FhirTerser terser = fhirContext.newTerser();
    // The context's own core support: FHIRPath uses it too, so the definitions load once per JVM.
    // Reuse the context's core definitions when they are plain ones (the server's context is set up
    // so): FHIRPath uses them too, and loading them twice costs seconds and memory.
    IValidationSupport core = fhirContext.getValidationSupport() instanceof DefaultProfileValidationSupport shared
        ? shared : new DefaultProfileValidationSupport(fhirContext);

    // 1. Generate the snapshots of the project's StructureDefinitions that lack one, extensions
    //    first (profiles use them), with a draft chain that holds the content as it is.
    List<IBaseResource> definitions = new ArrayList<>(content.getDefinitions());
    PrePopulatedValidationSupport draft = prePopulated(fhirContext, definitions);
    ValidationSupportChain draftChain = new ValidationSupportChain(
        core,
        draft,
        new CommonCodeSystemsTerminologyService(fhirContext),
        new InMemoryTerminologyServerValidationSupport(fhirContext),
        new SnapshotGeneratingValidationSupport(fhirContext));
    List<Integer> withoutSnapshot = new ArrayList<>();
    for (int i = 0; i < definitions.size(); i++) {
      IBaseResource resource = definitions.get(i);
      if ("StructureDefinition".equals(fhirContext.getResourceType(resource))
          && terser.getValues(resource, "snapshot.element").isEmpty()) {
        withoutSnapshot.add(i);
      }
    }
    withoutSnapshot.sort(Comparator.comparing(
        i -> "Extension".equals(terser.getSinglePrimitiveValueOrNull(definitions.get(i), "type")) ? 0 : 1));
    for (int i : withoutSnapshot) {
      IBaseResource sd = definitions.get(i);
      String url = terser.getSinglePrimitiveValueOrNull(sd, "url");
      String name = terser.getSinglePrimitiveValueOrNull(sd, "name");
      IBaseResource withSnapshot = draftChain.generateSnapshot(
          new ValidationSupportContext(draftChain), sd, url, url, name);
      if (withSnapshot == null || terser.getValues(withSnapshot, "snapshot.element").isEmpty()) {
        throw new IllegalStateException("Could not generate the snapshot of " + url);
      }
      definitions.set(i, withSnapshot);
      draft.addStructureDefinition(withSnapshot);
      draftChain.invalidateCaches();
    }

    // 2. The chain used for validation.
    PrePopulatedValidationSupport project = prePopulated(fhirContext, definitions);
    project.lock();
    CanonicalResourceValidationSupport canonicals = new CanonicalResourceValidationSupport(fhirContext, definitions);

    UnknownCodeSystemWarningValidationSupport unknownCodeSystems =
        new UnknownCodeSystemWarningValidationSupport(fhirContext);
    unknownCodeSystems.setNonExistentCodeSystemSeverity(IValidationSupport.IssueSeverity.WARNING);

    List<IValidationSupport> modules = new ArrayList<>();
    modules.add(core);
    modules.add(project);
    modules.add(canonicals);
    if (extraSupport != null) {
      modules.add(extraSupport);
    }
    modules.add(new CommonCodeSystemsTerminologyService(fhirContext));
    modules.add(new CodePatternValueSetValidationSupport(fhirContext, definitions));
    modules.add(new InMemoryTerminologyServerValidationSupport(fhirContext));
    modules.add(new SnapshotGeneratingValidationSupport(fhirContext));
    modules.add(unknownCodeSystems);
    this.chain = new ValidationSupportChain(modules);
    // FHIR: one coding of a CodeableConcept in the value set satisfies a binding (HAPI's default
    // wants all codings to be valid, which rejects e.g. a local alert kind plus a SNOMED CT code).
    chain.setCodeableConceptValidationSuccessfulIfNotAllCodingsAreValid(true);

    this.conformanceResources = List.copyOf(definitions);
    Set<String> profiles = new LinkedHashSet<>();
    for (IBaseResource resource : definitions) {
      if ("StructureDefinition".equals(fhirContext.getResourceType(resource))
          && "constraint".equals(terser.getSinglePrimitiveValueOrNull(resource, "derivation"))
          && !"Extension".equals(terser.getSinglePrimitiveValueOrNull(resource, "type"))) {
        profiles.add(terser.getSinglePrimitiveValueOrNull(resource, "url"));
      }
    }
    this.projectProfileUrls = Collections.unmodifiableSet(profiles);

    // HAPI's FhirInstanceValidator, keeping its InstanceValidators between calls (see there)
    PooledInstanceValidator instanceValidator = new PooledInstanceValidator(
        chain, Math.max(4, 2 * Runtime.getRuntime().availableProcessors()));
    instanceValidator.setErrorForUnknownProfiles(true);
    this.instanceValidator = instanceValidator;
    FhirValidator fhirValidator = fhirContext.newValidator();
    fhirValidator.registerValidatorModule(instanceValidator);
    this.validator = fhirValidator;
  }

  private static PrePopulatedValidationSupport prePopulated(FhirContext fhirContext, List<IBaseResource> resources) {
    PrePopulatedValidationSupport support = new PrePopulatedValidationSupport(fhirContext);
    for (IBaseResource resource : resources) {
      switch (fhirContext.getResourceType(resource)) {
        case "StructureDefinition" -> support.addStructureDefinition(resource);
        case "CodeSystem" -> support.addCodeSystem(resource);
        case "ValueSet" -> support.addValueSet(resource);
        case "SearchParameter" -> support.addSearchParameter(resource);
        default -> { } // served by CanonicalResourceValidationSupport
      }
    }
    return support;
  }

  /** Validates against the base type and every profile the resource claims in meta.profile. */
  public ValidationResult validate(IBaseResource resource) {
    return validator.validateWithResult(resource);
  }

  /**
   * As {@link #validate(IBaseResource)}, and also against {@code profileUrl} (a canonical URL,
   * optionally {@code |version}); {@code null} or blank means no extra profile.
   */
  public ValidationResult validate(IBaseResource resource, String profileUrl) {
    return validator.validateWithResult(resource, options(profileUrl));
  }

  /**
   * Validates a resource given as text (JSON or XML) as received, so that unknown elements and
   * malformed values are reported by the validator rather than dropped by a parser.
   */
  public ValidationResult validate(String resourceText, String profileUrl) {
    return validator.validateWithResult(resourceText, options(profileUrl));
  }

  private static ValidationOptions options(String profileUrl) {
    ValidationOptions options = new ValidationOptions();
    if (profileUrl != null && !profileUrl.isBlank()) {
      options.addProfile(profileUrl);
    }
    return options;
  }

  /** Validates one small resource so that the core definitions are loaded (15-30 s the first time). */
  public void warmUp() {
    IBaseResource patient = fhirContext.getResourceDefinition("Patient").newInstance();
    validate(patient);
  }

  /** Whether {@code canonicalUrl} ({@code |version} ignored) is one of the project's profiles. */
  public boolean isProjectProfile(String canonicalUrl) {
    return canonicalUrl != null && projectProfileUrls.contains(ConformanceResources.stripVersion(canonicalUrl));
  }

  /** Canonical URLs of the project's profiles (constraints on resource types, not extensions). */
  public Set<String> getProjectProfileUrls() {
    return projectProfileUrls;
  }

  /**
   * The project's conformance resources as the validator sees them: StructureDefinitions with
   * generated snapshots, CodeSystems, ValueSets, Questionnaires, PlanDefinition,
   * ActivityDefinitions. Shared objects: copy before changing.
   */
  public List<IBaseResource> getConformanceResources() {
    return conformanceResources;
  }

  /** The chain, for other HAPI components (e.g. a terminology or snapshot provider). */
  public IValidationSupport getValidationSupport() {
    return chain;
  }

  public ConformanceResources getContent() {
    return content;
  }

  public FhirContext getFhirContext() {
    return fhirContext;
  }

  /**
   * Drops the chain's caches, e.g. after the extra support's resources (stored Questionnaires)
   * have changed.
   */
  public void invalidateCaches() {
    chain.invalidateCaches();
    instanceValidator.retireValidators();
  }
}
