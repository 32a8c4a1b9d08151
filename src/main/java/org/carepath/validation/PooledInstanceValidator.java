package org.carepath.validation;

import ca.uhn.fhir.context.ConfigurationException;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.i18n.Msg;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.util.XmlUtil;
import ca.uhn.fhir.validation.IValidationContext;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.Gson;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;
import org.hl7.fhir.common.hapi.validation.validator.WorkerContextValidationSupportAdapter;
import org.hl7.fhir.exceptions.FHIRException;
import org.hl7.fhir.r5.context.IWorkerContext;
import org.hl7.fhir.r5.elementmodel.Manager;
import org.hl7.fhir.r5.fhirpath.IHostApplicationServices;
import org.hl7.fhir.r5.model.StructureDefinition;
import org.hl7.fhir.r5.utils.validation.ValidatorSession;
import org.hl7.fhir.r5.utils.validation.constants.IdStatus;
import org.hl7.fhir.r5.utils.xver.XVerExtensionManagerOld;
import org.hl7.fhir.utilities.i18n.I18nConstants;
import org.hl7.fhir.utilities.validation.ValidationMessage;
import org.hl7.fhir.validation.ValidatorSettings;
import org.hl7.fhir.validation.instance.InstanceValidator;
import org.w3c.dom.Document;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * HAPI's {@link FhirInstanceValidator} that keeps the core library's {@link InstanceValidator}s
 * between calls instead of building one per call (HAPI's {@code ValidatorWrapper} does: its
 * constructor builds several FHIRPath engines that walk every StructureDefinition of the context,
 * about a fifth of a check-in's validation).
 *
 * <p>What is done per call is HAPI 8.8.1's {@code ValidatorWrapper.validate} (package-private
 * there, so it cannot be called): the same settings, the profiles of the options and of {@code
 * meta.profile}, the same filtering of messages. Validators are not thread-safe, so a call borrows
 * one from a bounded pool (or builds one when none is idle) and gives it back afterwards. An
 * InstanceValidator keeps some state from call to call: what its {@code validate} does not clear
 * and would change a result (the status warnings already given, the session's objects) is cleared
 * before each use; what only grows (the codings it has seen, its canonical-lookup cache) is
 * bounded by retiring each validator after {@link #USES_PER_VALIDATOR} calls, and every validator
 * is retired by {@link #retireValidators()} (when the chain's caches are invalidated), so that no
 * lookup outlives the content it was made from. A validator whose call failed is not reused.
 */
class PooledInstanceValidator extends FhirInstanceValidator {

  /**
   * Calls after which a validator is dropped, which bounds the state it accumulates (among it the
   * parsed narratives of earlier calls); the set-up it saves is then spread over this many calls.
   */
  static final int USES_PER_VALIDATOR = 100;

  private static final Gson GSON = new Gson();

  private final BlockingQueue<ReusableValidator> idle;
  private final AtomicInteger generation = new AtomicInteger();
  private final AtomicInteger built = new AtomicInteger();

  /** @param idleValidators how many validators are kept between calls at most */
  PooledInstanceValidator(IValidationSupport validationSupport, int idleValidators) {
    super(validationSupport);
    this.idle = new ArrayBlockingQueue<>(idleValidators);
  }

  /** Drops the idle validators; those in use are dropped when given back. */
  void retireValidators() {
    generation.incrementAndGet();
    idle.clear();
  }

  /** How many InstanceValidators were built so far (for tests of the reuse). */
  int validatorsBuilt() {
    return built.get();
  }

  @Override
  public void invalidateCaches() {
    super.invalidateCaches();
    retireValidators();
  }

  @Override
  protected List<ValidationMessage> validate(IValidationContext<?> context) {
    WorkerContextValidationSupportAdapter worker = provideWorkerContext();
    ReusableValidator validator = borrow(worker);
    List<ValidationMessage> messages = validate(validator, worker, context);
    giveBack(validator);
    return messages;
  }

  private ReusableValidator borrow(IWorkerContext worker) {
    int current = generation.get();
    ReusableValidator validator;
    while ((validator = idle.poll()) != null) {
      if (validator.generation == current && validator.worker == worker) {
        return validator;
      }
    }
    IHostApplicationServices host =
        Objects.requireNonNullElseGet(getHostApplicationServices(), FhirInstanceValidator.NullEvaluationContext::new);
    try {
      validator = new ReusableValidator(worker, host, current);
    } catch (Exception e) {
      throw new ConfigurationException(Msg.code(648) + e.getMessage(), e);
    }
    built.incrementAndGet();
    return validator;
  }

  private void giveBack(ReusableValidator validator) {
    if (++validator.uses < USES_PER_VALIDATOR && validator.generation == generation.get()) {
      idle.offer(validator); // dropped when the pool is full
    }
  }

  /** HAPI 8.8.1's ValidatorWrapper.validate, on a validator that may have been used before. */
  private List<ValidationMessage> validate(
      ReusableValidator v, IWorkerContext worker, IValidationContext<?> context) {
    v.forgetPreviousCall();
    v.setAssumeValidRestReferences(isAssumeValidRestReferences());
    v.setBestPracticeWarningLevel(getBestPracticeWarningLevel());
    v.setAnyExtensionsAllowed(isAnyExtensionsAllowed());
    v.setResourceIdRule(IdStatus.OPTIONAL);
    v.setNoTerminologyChecks(isNoTerminologyChecks());
    v.setErrorForUnknownProfiles(isErrorForUnknownProfiles());
    // fixed in HAPI too (it interacts with UnknownCodeSystemWarningValidationSupport)
    v.setUnknownCodeSystemsCauseErrors(true);
    v.getExtensionDomains().clear();
    v.getExtensionDomains().addAll(getExtensionDomains());
    v.setFetcher(getValidatorResourceFetcher());
    v.setPolicyAdvisor(getValidatorPolicyAdvisor());
    v.setNoExtensibleWarnings(isNoExtensibleWarnings());
    v.setNoBindingMsgSuppressed(isNoBindingMsgSuppressed());
    v.setAllowExamples(isAllowExamples());
    v.setAllowXsiLocation(true);

    List<ValidationMessage> messages = new ArrayList<>();
    List<StructureDefinition> profiles = new ArrayList<>();
    List<ValidationMessage> invalidProfiles = new ArrayList<>();
    for (String url : context.getOptions().getProfiles()) {
      fetchAndAddProfile(worker, profiles, url, invalidProfiles);
    }

    String input = context.getResourceAsString();
    EncodingEnum encoding = context.getResourceAsStringEncoding();
    InputStream inputStream = new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8));
    Object appContext = context.getOptions().getAppContext();
    if (encoding == EncodingEnum.XML) {
      Document document;
      try {
        document = XmlUtil.parseDocument(input);
      } catch (Exception e) {
        ValidationMessage m = new ValidationMessage();
        m.setLevel(ValidationMessage.IssueSeverity.FATAL);
        m.setMessage("Failed to parse input, it does not appear to be valid XML:" + e.getMessage());
        messages.add(m);
        return messages;
      }
      for (String url : xmlMetaProfiles(document)) {
        fetchAndAddProfile(worker, profiles, url, invalidProfiles);
      }
      v.validate(appContext, messages, inputStream, Manager.FhirFormat.XML, profiles);
    } else if (encoding == EncodingEnum.JSON) {
      JsonObject json = GSON.fromJson(input, JsonObject.class);
      JsonObject meta = json.getAsJsonObject("meta");
      if (meta != null && meta.get("profile") instanceof JsonArray urls) {
        for (JsonElement url : urls) {
          fetchAndAddProfile(worker, profiles, url.getAsString(), invalidProfiles);
        }
      }
      v.validate(appContext, messages, inputStream, Manager.FhirFormat.JSON, profiles);
    } else {
      throw new IllegalArgumentException(Msg.code(649) + "Unknown encoding: " + encoding);
    }

    if (profiles.isEmpty() && !invalidProfiles.isEmpty()) {
      messages.addAll(invalidProfiles);
    }
    messages = messages.stream()
        .filter(m -> m.getMessageId() == null
            || !(m.getMessageId().equals(I18nConstants.TERMINOLOGY_TX_BINDING_NOSOURCE)
                || (m.getMessageId().equals(I18nConstants.TERMINOLOGY_TX_VALUESET_NOTFOUND)
                    && m.getMessage().contains("http://hl7.org/fhir/ValueSet/mimetypes"))))
        .collect(Collectors.toList());
    ValidationMessage.IssueSeverity unknownProfile =
        isErrorForUnknownProfiles() ? ValidationMessage.IssueSeverity.ERROR : ValidationMessage.IssueSeverity.WARNING;
    messages.stream()
        .filter(m -> I18nConstants.VALIDATION_VAL_PROFILE_UNKNOWN.equals(m.getMessageId())
            || I18nConstants.VALIDATION_VAL_PROFILE_UNKNOWN_NOT_POLICY.equals(m.getMessageId()))
        .forEach(m -> m.setLevel(unknownProfile));
    return messages;
  }

  private static void fetchAndAddProfile(
      IWorkerContext worker, List<StructureDefinition> profiles, String url, List<ValidationMessage> invalid) {
    try {
      StructureDefinition definition = worker.fetchResource(StructureDefinition.class, url);
      if (definition != null) {
        profiles.add(definition);
      } else {
        ValidationMessage m = new ValidationMessage();
        m.setMessageId(I18nConstants.VALIDATION_VAL_PROFILE_UNKNOWN);
        m.setLevel(ValidationMessage.IssueSeverity.ERROR);
        m.setMessage("Invalid profile. Failed to retrieve profile with url=" + url);
        invalid.add(m);
      }
    } catch (FHIRException e) {
      // as HAPI: a profile that cannot be loaded is skipped
    }
  }

  private static List<String> xmlMetaProfiles(Document document) {
    List<String> urls = new ArrayList<>();
    NodeList children = document.getChildNodes().item(0).getChildNodes();
    for (int i = 0; i < children.getLength(); i++) {
      if (children.item(i).getNodeName().compareToIgnoreCase("meta") == 0) {
        NodeList meta = children.item(i).getChildNodes();
        for (int j = 0; j < meta.getLength(); j++) {
          Node node = meta.item(j);
          if (node.getNodeName().compareToIgnoreCase("profile") == 0) {
            urls.add(node.getAttributes().item(0).getNodeValue());
          }
        }
        break;
      }
    }
    return urls;
  }

  /** An InstanceValidator that can clear what its own validate keeps from the previous call. */
  private static final class ReusableValidator extends InstanceValidator {
    final IWorkerContext worker;
    final int generation;
    int uses;

    ReusableValidator(IWorkerContext worker, IHostApplicationServices host, int generation) throws Exception {
      super(worker, host, new XVerExtensionManagerOld(worker), new ValidatorSession(), new ValidatorSettings());
      this.worker = worker;
      this.generation = generation;
    }

    void forgetPreviousCall() {
      statusWarnings.clear();
      session.getObjects().clear();
    }
  }
}
