package org.carepath.validation;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
import ca.uhn.fhir.parser.StrictErrorHandler;
import ca.uhn.fhir.util.FhirTerser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;

/**
 * The pathway content shipped in {@code fhir-profiles/}: the definitional (conformance) resources
 * from {@code fhir-profiles/resources/*.json} and the example instances from
 * {@code fhir-profiles/examples/*.json}.
 *
 * <p>Files are found with Spring's {@link PathMatchingResourcePatternResolver}, so loading works
 * from {@code target/classes}, from a test classpath and from inside the Boot fat jar. Each file
 * holds exactly one resource; it is parsed strictly (an unknown element or a malformed value is an
 * error naming the file), so a broken content file fails at start-up instead of being half-read.
 *
 * <p>Immutable after construction and therefore thread-safe. Note that HAPI model objects are
 * mutable: callers that change a returned resource must copy it first ({@code copy()}).
 */
public class ConformanceResources {

  /** Base of every canonical URL the project publishes. */
  public static final String CANONICAL_BASE = "https://carepath.org/fhir";

  /** Default classpath location of the content (the pom copies {@code fhir-profiles/} there). */
  public static final String DEFAULT_LOCATION = "classpath*:fhir-profiles";

  /**
   * One content file.
   *
   * @param fileName the file name without folder, e.g. {@code StructureDefinition-si-fusion-procedure.json}
   * @param text the file as read (JSON), for validation of the raw text
   * @param resource the parsed resource
   */
  public record ContentFile(String fileName, String text, IBaseResource resource) {}

  private final FhirContext fhirContext;
  private final List<ContentFile> definitionFiles;
  private final List<ContentFile> exampleFiles;
  private final Map<String, IBaseResource> byCanonicalUrl;

  /** Loads the content from {@value #DEFAULT_LOCATION}. */
  public ConformanceResources(FhirContext fhirContext) {
    this(fhirContext, DEFAULT_LOCATION);
  }

  /**
   * Loads the content from {@code baseLocation} + {@code /resources/*.json} and
   * {@code /examples/*.json}.
   *
   * @param baseLocation a Spring resource location, e.g. {@code classpath*:fhir-profiles} or
   *     {@code file:/path/to/fhir-profiles}
   */
  public ConformanceResources(FhirContext fhirContext, String baseLocation) {
    this.fhirContext = fhirContext;
    this.definitionFiles = load(baseLocation + "/resources/*.json");
    this.exampleFiles = load(baseLocation + "/examples/*.json");
    if (definitionFiles.isEmpty()) {
      throw new IllegalStateException("No FHIR content found at " + baseLocation + "/resources/*.json");
    }
    FhirTerser terser = fhirContext.newTerser();
    Map<String, IBaseResource> urls = new LinkedHashMap<>();
    for (ContentFile file : definitionFiles) {
      String url = canonicalUrl(fhirContext, terser, file.resource());
      if (url == null) {
        continue;
      }
      IBaseResource previous = urls.put(url, file.resource());
      if (previous != null) {
        throw new IllegalStateException(
            "Two content files define the canonical URL " + url + " (second: " + file.fileName() + ")");
      }
    }
    this.byCanonicalUrl = Collections.unmodifiableMap(urls);
  }

  private List<ContentFile> load(String pattern) {
    PathMatchingResourcePatternResolver resolver =
        new PathMatchingResourcePatternResolver(ConformanceResources.class.getClassLoader());
    Resource[] found;
    try {
      found = resolver.getResources(pattern);
    } catch (IOException e) {
      throw new IllegalStateException("Cannot list FHIR content at " + pattern, e);
    }
    IParser parser = fhirContext.newJsonParser().setParserErrorHandler(new StrictErrorHandler());
    List<ContentFile> files = new ArrayList<>();
    for (Resource resource : found) {
      String name = resource.getFilename();
      String text;
      try (InputStream in = resource.getInputStream()) {
        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new IllegalStateException("Cannot read FHIR content file " + name, e);
      }
      IBaseResource parsed;
      try {
        parsed = parser.parseResource(text);
      } catch (RuntimeException e) {
        throw new IllegalStateException("Cannot parse FHIR content file " + name + ": " + e.getMessage(), e);
      }
      files.add(new ContentFile(name, text, parsed));
    }
    files.sort(Comparator.comparing(ContentFile::fileName));
    return Collections.unmodifiableList(files);
  }

  private static String canonicalUrl(FhirContext context, FhirTerser terser, IBaseResource resource) {
    if (context.getResourceDefinition(resource).getChildByName("url") == null) {
      return null;
    }
    return terser.getSinglePrimitiveValueOrNull(resource, "url");
  }

  /** Strips a {@code |version} suffix from a canonical reference. */
  public static String stripVersion(String canonical) {
    if (canonical == null) {
      return null;
    }
    int bar = canonical.indexOf('|');
    return bar < 0 ? canonical : canonical.substring(0, bar);
  }

  public FhirContext getFhirContext() {
    return fhirContext;
  }

  /** The definitional resources (StructureDefinition, CodeSystem, ValueSet, PlanDefinition, ...). */
  public List<IBaseResource> getDefinitions() {
    return definitionFiles.stream().map(ContentFile::resource).toList();
  }

  /** The definitional resources of one type, e.g. {@code getDefinitions(Questionnaire.class)}. */
  public <T extends IBaseResource> List<T> getDefinitions(Class<T> type) {
    return definitionFiles.stream()
        .map(ContentFile::resource)
        .filter(type::isInstance)
        .map(type::cast)
        .toList();
  }

  /** The definitional resources with their file names and raw text. */
  public List<ContentFile> getDefinitionFiles() {
    return definitionFiles;
  }

  /** The example instances with their file names and raw text. */
  public List<ContentFile> getExampleFiles() {
    return exampleFiles;
  }

  /** The example instances. */
  public List<IBaseResource> getExamples() {
    return exampleFiles.stream().map(ContentFile::resource).toList();
  }

  /** The definitional resource with this canonical URL ({@code |version} ignored), if any. */
  public Optional<IBaseResource> findByCanonicalUrl(String canonical) {
    return Optional.ofNullable(byCanonicalUrl.get(stripVersion(canonical)));
  }

  /** Every canonical URL defined by the content. */
  public Set<String> getCanonicalUrls() {
    return Collections.unmodifiableSet(new LinkedHashSet<>(byCanonicalUrl.keySet()));
  }
}
