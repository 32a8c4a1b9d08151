package org.carepath.search;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.RuntimeSearchParam;
import ca.uhn.fhir.fhirpath.IFhirPath;
import ca.uhn.fhir.rest.api.RestSearchParameterTypeEnum;
import org.carepath.validation.ProfileValidator;
import org.springframework.stereotype.Component;

/**
 * The search parameters of every resource type: HAPI's built-in R4 definitions, the meta-based
 * ones every resource has, and the pathway's own SearchParameter resources from fhir-profiles/. Each carries its FHIRPath expression, parsed once.
 */
@Component
public class SearchParameters {

    /** Parameters on Resource.meta that FhirContext does not list per type. */
    private static final Map<String, SearchParam> COMMON = Map.of(
            "_tag", new SearchParam("_tag", RestSearchParameterTypeEnum.TOKEN, "Resource.meta.tag", Set.of()),
            "_profile", new SearchParam("_profile", RestSearchParameterTypeEnum.URI, "Resource.meta.profile", Set.of()),
            "_security", new SearchParam("_security", RestSearchParameterTypeEnum.TOKEN, "Resource.meta.security", Set.of()));

    private final FhirContext fhir;
    /** Built on first use: creating it loads every core definition, which start-up need not wait for. */
    private volatile IFhirPath fhirPath;
    private final Map<String, Map<String, SearchParam>> byType = new ConcurrentHashMap<>();

    /** The pathway's own SearchParameters (fhir-profiles/), by base type and code. */
    private final Map<String, Map<String, SearchParam>> project;

    @org.springframework.beans.factory.annotation.Autowired
    public SearchParameters(FhirContext fhir, ProfileValidator validator) {
        this(fhir, validator.content().getDefinitions(org.hl7.fhir.r4.model.SearchParameter.class));
    }

    SearchParameters(FhirContext fhir, Collection<org.hl7.fhir.r4.model.SearchParameter> own) {
        this.fhir = fhir;
        Map<String, Map<String, SearchParam>> byBase = new java.util.HashMap<>();
        for (var definition : own) {
            if (definition.getStatus() == org.hl7.fhir.r4.model.Enumerations.PublicationStatus.RETIRED) {
                continue;
            }
            RestSearchParameterTypeEnum type = RestSearchParameterTypeEnum.forCode(definition.getType().toCode());
            Set<String> targets = definition.getTarget().stream().map(t -> t.getValue()).collect(
                    java.util.stream.Collectors.toUnmodifiableSet());
            for (var base : definition.getBase()) {
                byBase.computeIfAbsent(base.getValue(), k -> new LinkedHashMap<>()).put(definition.getCode(),
                        new SearchParam(definition.getCode(), type, definition.getExpression(), targets));
            }
        }
        this.project = Map.copyOf(byBase);
    }

    public Optional<SearchParam> find(String type, String name) {
        return Optional.ofNullable(forType(type).get(name));
    }

    public java.util.SortedSet<String> resourceTypes() {
        return new java.util.TreeSet<>(fhir.getResourceTypes());
    }

    public boolean isResourceType(String type) {
        return fhir.getResourceTypes().contains(type);
    }

    /**
     * A parameter that every one of {@code types} defines with the same type: what a search over
     * several types (system level, {@code _type}) may use. Reference targets are the union.
     */
    public Optional<SearchParam> findCommon(Collection<String> types, String name) {
        if (types.size() == 1) {
            return find(types.iterator().next(), name);
        }
        SearchParam first = null;
        Set<String> targets = new java.util.TreeSet<>();
        boolean anyTarget = false;
        for (String type : types) {
            SearchParam param = forType(type).get(name);
            if (param == null || (first != null && param.type() != first.type())) {
                return Optional.empty();
            }
            first = first == null ? param : first;
            anyTarget |= param.targets().isEmpty();
            targets.addAll(param.targets());
        }
        if (first == null) {
            return Optional.empty();
        }
        return Optional.of(new SearchParam(name, first.type(), first.expression(), anyTarget ? Set.of() : Set.copyOf(targets)));
    }

    /** The reference parameters of {@code type} that place it in a compartment (e.g. Patient). */
    public Set<String> compartmentParams(String compartment, String type) {
        if (!isResourceType(type)) {
            return Set.of();
        }
        return compartments.computeIfAbsent(compartment + "/" + type, k -> membership(compartment, type));
    }

    /**
     * The types that can be in a compartment, each with the parameters that put it there (the
     * compartment's own type is not listed unless it can also refer to its kind).
     */
    public Map<String, Set<String>> compartmentMembers(String compartment) {
        Map<String, Set<String>> members = new java.util.TreeMap<>();
        for (String type : resourceTypes()) {
            Set<String> params = compartmentParams(compartment, type);
            if (!params.isEmpty()) {
                members.put(type, params);
            }
        }
        return members;
    }

    private final Map<String, Set<String>> compartments = new ConcurrentHashMap<>();

    /**
     * Members CarePath adds to R4's compartments: a patient's Tasks (R4's Patient compartment
     * lists no Task) are the patient's own to-do list, which patient apps and $everything need.
     */
    private static final Map<String, Set<String>> ADDED_MEMBERS = Map.of("Patient/Task", Set.of("subject"));

    /**
     * A compartment's additions as HAPI's terser and rule engine take them. HAPI fills the maps
     * inside on first lookup (HashMap.computeIfAbsent), which threw ConcurrentModificationException
     * under concurrent requests: every type is entered up front, so that users only ever read.
     */
    public ca.uhn.fhir.interceptor.auth.CompartmentSearchParameterModifications compartmentModifications(String compartment) {
        var modifications = new ca.uhn.fhir.interceptor.auth.CompartmentSearchParameterModifications();
        compartmentAdditions(compartment).forEach((type, names) ->
                names.forEach(name -> modifications.addSPToIncludeInCompartment(type, name)));
        resourceTypes().forEach(type -> {
            modifications.getAdditionalSearchParamNamesForResourceType(type);
            modifications.getOmittedSPNamesForResourceType(type);
        });
        return modifications;
    }

    /** Per type, the parameters CarePath adds to a compartment's R4 definition. */
    public Map<String, Set<String>> compartmentAdditions(String compartment) {
        Map<String, Set<String>> added = new java.util.TreeMap<>();
        ADDED_MEMBERS.forEach((key, params) -> {
            if (key.startsWith(compartment + "/")) {
                added.put(key.substring(compartment.length() + 1), params);
            }
        });
        return added;
    }

    private Set<String> membership(String compartment, String type) {
        Set<String> names = new java.util.TreeSet<>(ADDED_MEMBERS.getOrDefault(compartment + "/" + type, Set.of()));
        for (RuntimeSearchParam p : fhir.getResourceDefinition(type).getSearchParams()) {
            if (p.getProvidesMembershipInCompartments() != null
                    && p.getProvidesMembershipInCompartments().contains(compartment)
                    && p.getParamType() == RestSearchParameterTypeEnum.REFERENCE) {
                names.add(p.getName());
            }
        }
        return java.util.Collections.unmodifiableSet(names);
    }

    /** The parameters of a type that have values to index (composite and special ones have not). */
    public Collection<SearchParam> forResourceType(String type) {
        return forType(type).values();
    }

    private Map<String, SearchParam> forType(String type) {
        return byType.computeIfAbsent(type, this::load);
    }

    private final Map<String, IFhirPath.IParsedExpression> parsed = new ConcurrentHashMap<>();

    /** The parameter's FHIRPath expression, parsed once. */
    IFhirPath.IParsedExpression parsed(SearchParam param) {
        return parsed.computeIfAbsent(param.expression(), this::parse);
    }

    private IFhirPath.IParsedExpression parse(String expression) {
        if (fhirPath == null) {
            synchronized (this) {
                if (fhirPath == null) {
                    fhirPath = fhir.newFhirPath();
                }
            }
        }
        try {
            return fhirPath.parse(expression);
        } catch (Exception e) {
            throw new IllegalStateException("Search parameter expression does not parse: " + expression, e);
        }
    }

    private Map<String, SearchParam> load(String type) {
        Map<String, SearchParam> params = new LinkedHashMap<>(COMMON);
        for (RuntimeSearchParam p : fhir.getResourceDefinition(type).getSearchParams()) {
            if (p.getParamType() == RestSearchParameterTypeEnum.COMPOSITE
                    || p.getParamType() == RestSearchParameterTypeEnum.SPECIAL
                    || p.getPath() == null || p.getPath().isBlank()
                    || p.getName().equals("_id") || p.getName().equals("_lastUpdated")) {
                continue;
            }
            params.put(p.getName(), new SearchParam(p.getName(), p.getParamType(), p.getPath(), p.getTargets()));
        }
        // the pathway's own, where R4 has none (Flag.status) or the pathway means something else
        params.putAll(project.getOrDefault(type, Map.of()));
        params.putAll(project.getOrDefault("Resource", Map.of()));
        return Map.copyOf(params);
    }
}
