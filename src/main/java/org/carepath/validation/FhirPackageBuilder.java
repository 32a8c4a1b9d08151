package org.carepath.validation;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
import ca.uhn.fhir.util.FhirTerser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * Writes the pathway content as a FHIR NPM package ({@code .tgz}) that another FHIR server or tool
 * can load: {@code package/package.json} (from {@code fhir-profiles/package.json}), one file per
 * conformance resource (StructureDefinitions with generated snapshots), {@code package/example/}
 * with the examples, and a {@code .index.json} in each folder.
 *
 * <p>Run at build time: {@code java org.carepath.validation.FhirPackageBuilder <fhir-profiles dir>
 * <output dir>} writes {@code <output dir>/<name>-<version>.tgz}. Entries are sorted and time-stamped
 * with a fixed date, so the same content gives the same archive.
 */
public final class FhirPackageBuilder {

  /** Fixed entry time (as npm uses) so that builds are reproducible. */
  private static final Date ENTRY_TIME = new Date(499162500000L); // 1985-10-26T08:15:00Z

  private final FhirContext fhirContext;
  private final ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public FhirPackageBuilder(FhirContext fhirContext) {
    this.fhirContext = fhirContext;
  }

  /**
   * Writes the package.
   *
   * @param validation the validation chain (for the StructureDefinitions with snapshots)
   * @param packageJson the content of {@code fhir-profiles/package.json}
   * @param outputDir the folder to write {@code <name>-<version>.tgz} into
   * @return the written file
   */
  public Path write(FhirValidation validation, byte[] packageJson, Path outputDir) throws IOException {
    JsonNode manifest = mapper.readTree(packageJson);
    String name = manifest.path("name").asText(null);
    String version = manifest.path("version").asText(null);
    if (name == null || version == null) {
      throw new IllegalArgumentException("package.json needs a name and a version");
    }
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("package/package.json", packageJson);

    IParser parser = fhirContext.newJsonParser().setPrettyPrint(true);
    FhirTerser terser = fhirContext.newTerser();
    List<ObjectNode> index = new ArrayList<>();
    List<IBaseResource> resources = new ArrayList<>(validation.getConformanceResources());
    resources.sort(Comparator.comparing(r -> fileName(r)));
    for (IBaseResource resource : resources) {
      String fileName = fileName(resource);
      files.put("package/" + fileName, parser.encodeResourceToString(resource).getBytes(StandardCharsets.UTF_8));
      index.add(indexEntry(terser, resource, fileName));
    }
    files.put("package/.index.json", indexFile(index));

    List<ObjectNode> exampleIndex = new ArrayList<>();
    List<IBaseResource> examples = new ArrayList<>(validation.getContent().getExamples());
    examples.sort(Comparator.comparing(r -> fileName(r)));
    for (IBaseResource example : examples) {
      String fileName = fileName(example);
      files.put("package/example/" + fileName, parser.encodeResourceToString(example).getBytes(StandardCharsets.UTF_8));
      exampleIndex.add(indexEntry(terser, example, fileName));
    }
    files.put("package/example/.index.json", indexFile(exampleIndex));

    Files.createDirectories(outputDir);
    Path target = outputDir.resolve(name + "-" + version + ".tgz");
    try (OutputStream out = Files.newOutputStream(target);
        GzipCompressorOutputStream gzip = new GzipCompressorOutputStream(out);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(gzip)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Map.Entry<String, byte[]> file : files.entrySet()) {
        TarArchiveEntry entry = new TarArchiveEntry(file.getKey());
        entry.setSize(file.getValue().length);
        entry.setModTime(ENTRY_TIME);
        entry.setMode(0644);
        tar.putArchiveEntry(entry);
        tar.write(file.getValue());
        tar.closeArchiveEntry();
      }
      tar.finish();
    }
    return target;
  }

  private String fileName(IBaseResource resource) {
    return fhirContext.getResourceType(resource) + "-" + resource.getIdElement().getIdPart() + ".json";
  }

  private ObjectNode indexEntry(FhirTerser terser, IBaseResource resource, String fileName) {
    ObjectNode entry = mapper.createObjectNode();
    entry.put("filename", fileName);
    entry.put("resourceType", fhirContext.getResourceType(resource));
    entry.put("id", resource.getIdElement().getIdPart());
    for (String element : List.of("url", "version", "kind", "type")) {
      if (fhirContext.getResourceDefinition(resource).getChildByName(element) != null) {
        try {
          String value = terser.getSinglePrimitiveValueOrNull(resource, element);
          if (value != null) {
            entry.put(element, value);
          }
        } catch (RuntimeException notPrimitive) {
          // e.g. PlanDefinition.type is a CodeableConcept: not in the index
        }
      }
    }
    return entry;
  }

  private byte[] indexFile(List<ObjectNode> entries) throws IOException {
    ObjectNode index = mapper.createObjectNode();
    index.put("index-version", 1);
    ArrayNode files = index.putArray("files");
    entries.forEach(files::add);
    return mapper.writeValueAsBytes(index);
  }

  /**
   * Build-time entry point.
   *
   * @param args {@code <fhir-profiles dir> <output dir>}
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: FhirPackageBuilder <fhir-profiles dir> <output dir>");
      System.exit(2);
    }
    Path source = Path.of(args[0]).toAbsolutePath();
    FhirContext context = FhirContext.forR4Cached();
    ConformanceResources content = new ConformanceResources(context, "file:" + source);
    FhirValidation validation = new FhirValidation(context, content);
    Path written = new FhirPackageBuilder(context)
        .write(validation, Files.readAllBytes(source.resolve("package.json")), Path.of(args[1]));
    System.out.println("FHIR package written: " + written);
  }
}
