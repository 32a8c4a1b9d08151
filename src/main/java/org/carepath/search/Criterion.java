package org.carepath.search;

import java.util.List;

/**
 * One search parameter as the client sent it: repeated parameters are separate criteria (AND),
 * the values of one are alternatives (OR).
 *
 * @param param    the parameter, or null for _id and _lastUpdated (which live on the resource row)
 * @param name     the parameter name without modifier
 * @param modifier the text after ':' (null when none)
 */
record Criterion(SearchParam param, String name, String modifier, List<String> values) {
}
