package org.carepath.search;

import java.util.Set;

import ca.uhn.fhir.rest.api.RestSearchParameterTypeEnum;

/**
 * One search parameter of one resource type.
 *
 * @param targets resource types a reference parameter may point to (empty: any)
 */
public record SearchParam(String name, RestSearchParameterTypeEnum type, String expression, Set<String> targets) {
}
