package org.carepath.monitoring;

import java.util.List;

/**
 * The facts the engine gives a rule's FHIRPath expressions besides {@code %resource} and the
 * rule's parameters (fhir-profiles/README.md, "Risk rules"). Empty when unknown.
 */
public final class RuleVariables {

    /** Numeric value of the written Observation (Quantity value, integer or decimal). */
    public static final String VALUE = "value";
    /** Value of the latest Observation with the trigger's code before the surgery (the baseline). */
    public static final String BASELINE = "baseline";
    /** Lowest value with the trigger's code after the surgery and before the written Observation. */
    public static final String LOWEST = "lowest";
    /** Whole days from the surgery to the evidence (response authored, Observation effective). */
    public static final String DAYS_SINCE_SURGERY = "daysSinceSurgery";
    /** Whole calendar months from the surgery to the evidence. */
    public static final String MONTHS_SINCE_SURGERY = "monthsSinceSurgery";

    public static final List<String> NAMES = List.of(VALUE, BASELINE, LOWEST, DAYS_SINCE_SURGERY, MONTHS_SINCE_SURGERY);

    private RuleVariables() {
    }
}
