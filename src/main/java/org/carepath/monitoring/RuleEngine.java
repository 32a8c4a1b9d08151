package org.carepath.monitoring;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.fhirpath.IFhirPath;
import ca.uhn.fhir.fhirpath.IFhirPathEvaluationContext;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.DecimalType;
import org.hl7.fhir.r4.model.IntegerType;

/**
 * Evaluates the FHIRPath expressions of risk rules with HAPI's FHIRPath engine. The written
 * resource is the focus and {@code %resource}; every other {@code %name} is a variable the caller
 * supplies (the rule's parameters and the facts of {@link RuleVariables}). One engine per thread:
 * the variables are set on it for each evaluation.
 */
class RuleEngine {

    private final ThreadLocal<IFhirPath> fhirPath;

    RuleEngine(FhirContext fhir) {
        this.fhirPath = ThreadLocal.withInitial(fhir::newFhirPath);
    }

    /** Checks that an expression parses; the message says what is wrong. */
    void parse(String expression) {
        try {
            fhirPath.get().parse(expression);
        } catch (Exception e) {
            throw new IllegalArgumentException("Invalid FHIRPath '" + expression + "': " + e.getMessage(), e);
        }
    }

    /**
     * Is the expression true of the resource? Only a single {@code true} counts: empty (a missing
     * answer) and false do not fire a rule.
     */
    boolean isTrue(String expression, IBaseResource resource, Map<String, List<IBase>> variables) {
        List<IBase> result = evaluate(expression, resource, variables);
        return result.size() == 1 && result.get(0) instanceof BooleanType b && Boolean.TRUE.equals(b.getValue());
    }

    /** The expression's result on the resource, with these variables. */
    List<IBase> evaluate(String expression, IBaseResource resource, Map<String, List<IBase>> variables) {
        IFhirPath path = fhirPath.get();
        path.setEvaluationContext(new IFhirPathEvaluationContext() {
            @Override
            public List<IBase> resolveConstant(Object appContext, String name,
                                               IFhirPathEvaluationContext.ConstantEvaluationMode mode) {
                String key = name.startsWith("%") ? name.substring(1) : name;
                if (key.equals("resource")) {
                    return List.of(resource);
                }
                List<IBase> value = variables.get(key);
                if (value == null) {
                    throw new IllegalArgumentException("Unknown variable %" + key);
                }
                return value;
            }
        });
        return path.evaluate(resource, expression, IBase.class);
    }

    static List<IBase> number(BigDecimal value) {
        return value == null ? List.of() : List.of(new DecimalType(value));
    }

    static List<IBase> number(Optional<BigDecimal> value) {
        return number(value.orElse(null));
    }

    static List<IBase> integer(Long value) {
        return value == null ? List.of() : List.of(new IntegerType(value.intValue()));
    }
}
