package org.carepath.validation;

import static org.carepath.validation.SharedValidation.CONTENT;
import static org.carepath.validation.SharedValidation.CONTEXT;
import static org.carepath.validation.SharedValidation.VALIDATION;
import static org.carepath.validation.SharedValidation.describe;
import static org.carepath.validation.SharedValidation.errors;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.SingleValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.NpmPackageValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.UnknownCodeSystemWarningValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.StructureDefinition;
import org.hl7.fhir.utilities.npm.NpmPackage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The content as a FHIR NPM package that another server can load. */
class FhirPackageTest {

  static final String PACKAGE_FOLDER = "fhir-package-test";
  static Path tgz;
  static byte[] manifest;

  @BeforeAll
  static void writePackage() throws IOException, URISyntaxException {
    // Written into the test classpath so that HAPI's NpmPackageValidationSupport can load it from there.
    Path testClasses = Path.of(FhirPackageTest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    try (InputStream in = FhirPackageTest.class.getClassLoader().getResourceAsStream("fhir-profiles/package.json")) {
      manifest = in.readAllBytes();
    }
    tgz = new FhirPackageBuilder(CONTEXT).write(VALIDATION, manifest, testClasses.resolve(PACKAGE_FOLDER));
  }

  @Test
  void packageHasTheManifestTheResourcesAndTheExamples() throws IOException {
    NpmPackage npm;
    try (InputStream in = Files.newInputStream(tgz)) {
      npm = NpmPackage.fromPackage(in);
    }
    assertEquals("carepath.si-joint-fusion", npm.name());
    assertEquals("0.1.0", npm.version());
    assertEquals("4.0.1", npm.fhirVersion());
    assertTrue(npm.dependencies().contains("hl7.fhir.r4.core#4.0.1"), npm.dependencies().toString());
    assertEquals(CONTENT.getDefinitions().size(), npm.listResources("StructureDefinition", "CodeSystem", "ValueSet",
        "PlanDefinition", "ActivityDefinition", "Questionnaire", "SearchParameter").size());
    assertEquals(CONTENT.getExamples().size(), npm.getFolders().get("example").listFiles().stream()
        .filter(f -> f.endsWith(".json") && !f.startsWith(".")).count());
    try (InputStream sd = npm.loadByCanonical(ConformanceResources.CANONICAL_BASE + "/StructureDefinition/si-fusion-procedure")) {
      StructureDefinition procedure = CONTEXT.newJsonParser().parseResource(StructureDefinition.class, sd);
      assertTrue(procedure.hasSnapshot(), "the packaged profile carries its snapshot");
    }
  }

  @Test
  void packageIsReproducible() throws IOException {
    Path again = new FhirPackageBuilder(CONTEXT).write(VALIDATION, manifest, tgz.getParent().resolve("again"));
    assertArrayEquals(Files.readAllBytes(tgz), Files.readAllBytes(again));
  }

  @Test
  void anotherHapiServerCanLoadThePackageAndValidateWithIt() throws IOException {
    NpmPackageValidationSupport npm = new NpmPackageValidationSupport(CONTEXT);
    npm.loadPackageFromClasspath("classpath:" + PACKAGE_FOLDER + "/" + tgz.getFileName());
    ValidationSupportChain chain = new ValidationSupportChain(
        new DefaultProfileValidationSupport(CONTEXT),
        npm,
        new CommonCodeSystemsTerminologyService(CONTEXT),
        new InMemoryTerminologyServerValidationSupport(CONTEXT),
        new SnapshotGeneratingValidationSupport(CONTEXT),
        new UnknownCodeSystemWarningValidationSupport(CONTEXT));
    FhirValidator validator = CONTEXT.newValidator();
    validator.registerValidatorModule(new FhirInstanceValidator(chain));
    for (String id : List.of("si-fusion-example", "poor-pain-recovery-example")) {
      IBaseResource example = CONTENT.getExamples().stream()
          .filter(r -> r.getIdElement().getIdPart().equals(id)).findFirst().orElseThrow();
      List<SingleValidationMessage> errors = errors(validator.validateWithResult(example));
      assertTrue(errors.isEmpty(), id + " with the package alone:\n" + describe(errors));
    }
  }
}
