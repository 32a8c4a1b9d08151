package org.carepath.fhir;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.UndeclaredThrowableException;
import java.util.UUID;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.UnclassifiedServerFailureException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.carepath.interaction.DatabaseFailures;

/**
 * Makes sure no internal detail (stack trace, SQL, class name) reaches a client: expected
 * failures keep their status and message, anything unexpected becomes a 500 whose OperationOutcome
 * carries only a reference to the server log.
 */
@Interceptor
class ErrorTranslation {

    private static final Logger log = LoggerFactory.getLogger(ErrorTranslation.class);

    @Hook(Pointcut.SERVER_PRE_PROCESS_OUTGOING_EXCEPTION)
    public BaseServerResponseException translate(Throwable thrown) {
        Throwable cause = thrown;
        while ((cause instanceof InternalErrorException || cause instanceof InvocationTargetException
                || cause instanceof UndeclaredThrowableException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof BaseServerResponseException known && !(known instanceof InternalErrorException)) {
            return known;
        }
        if (cause instanceof PayloadTooLarge tooLarge) {
            return new UnclassifiedServerFailureException(413, tooLarge.getMessage());
        }
        if (cause instanceof DataFormatException format) {
            return new InvalidRequestException("Invalid FHIR content: " + format.getMessage());
        }
        if (cause instanceof IllegalArgumentException bad && fromOperationParameter(bad)) {
            // HAPI turns a typed operation parameter's text (_count=abc) into a value without
            // catching the primitive's parse failure: that is the client's mistake.
            return new InvalidRequestException("Invalid operation parameter value: "
                    + (bad.getCause() != null ? bad.getCause().getMessage() : bad.getMessage()));
        }
        if (DatabaseFailures.isUnavailable(cause)) {
            log.warn("Database unavailable: {}", cause.getMessage());
            return new UnclassifiedServerFailureException(503, "The database is unavailable; try again shortly");
        }
        String reference = UUID.randomUUID().toString();
        log.error("Unexpected failure, reference {}", reference, cause);
        return new InternalErrorException("Unexpected server error; reference " + reference);
    }

    private static boolean fromOperationParameter(Throwable thrown) {
        for (StackTraceElement frame : thrown.getStackTrace()) {
            if (frame.getClassName().equals("ca.uhn.fhir.rest.server.method.OperationParameter")) {
                return true;
            }
        }
        return false;
    }
}
