package org.carepath.fhir;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;

/**
 * Compartment searches ({@code GET Patient/123/CarePlan?status=active}) are type searches with one
 * more criterion: {@code CarePlan?status=active&_compartment=Patient/123}. Rewriting the request
 * lets one search implementation serve both.
 */
final class CompartmentRoutes {

    /** The compartments R4 defines. */
    private static final Set<String> COMPARTMENTS = Set.of("Patient", "Encounter", "RelatedPerson", "Practitioner",
            "Device");
    private static final Pattern PATH = Pattern.compile("^(.*/fhir)/([A-Z][A-Za-z]+)/([A-Za-z0-9\\-.]{1,64})/([A-Z][A-Za-z]+)/?$");

    private final Set<String> resourceTypes;

    CompartmentRoutes(Set<String> resourceTypes) {
        this.resourceTypes = resourceTypes;
    }

    HttpServletRequest route(HttpServletRequest request) {
        if (!"GET".equals(request.getMethod()) || !inCompartmentType(request.getPathInfo())) {
            return request;
        }
        Matcher m = PATH.matcher(request.getRequestURI());
        if (!m.matches() || !COMPARTMENTS.contains(m.group(2)) || !resourceTypes.contains(m.group(4))) {
            return request;
        }
        String uri = m.group(1) + "/" + m.group(4);
        String compartment = "_compartment=" + URLEncoder.encode(m.group(2) + "/" + m.group(3), StandardCharsets.UTF_8);
        String query = request.getQueryString() == null || request.getQueryString().isEmpty()
                ? compartment : request.getQueryString() + "&" + compartment;
        return new HttpServletRequestWrapper(request) {
            @Override
            public String getRequestURI() {
                return uri;
            }

            @Override
            public StringBuffer getRequestURL() {
                StringBuffer url = new StringBuffer(super.getRequestURL());
                int path = url.indexOf(request.getRequestURI());
                return path < 0 ? url : url.replace(path, url.length(), uri);
            }

            @Override
            public String getPathInfo() {
                return "/" + m.group(4);
            }

            @Override
            public String getQueryString() {
                return query;
            }
        };
    }

    /** Whether the path starts with a compartment's type: the pattern backtracks on every other read. */
    private static boolean inCompartmentType(String pathInfo) {
        if (pathInfo == null || pathInfo.length() < 2) {
            return false;
        }
        int end = pathInfo.indexOf('/', 1);
        return end > 0 && COMPARTMENTS.contains(pathInfo.substring(1, end));
    }
}
