package org.carepath.fhir;

import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;

/** Version ids as this server writes them: 1, 2, 3... */
final class Versions {

    private Versions() {
    }

    static int parse(String version) {
        try {
            return Integer.parseInt(version);
        } catch (NumberFormatException e) {
            throw new InvalidRequestException("Malformed version '" + version
                    + "': If-Match takes W/\"<version>\" with a whole number");
        }
    }
}
