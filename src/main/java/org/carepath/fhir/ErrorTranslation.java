package org.carepath.fhir;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.UndeclaredThrowableException;
import java.util.UUID;
import java.util.regex.Pattern;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.UnclassifiedServerFailureException;
import org.hl7.fhir.r4.model.OperationOutcome;
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
            return withoutClassNames(known);
        }
        if (cause instanceof PayloadTooLarge tooLarge) {
            return new UnclassifiedServerFailureException(413, tooLarge.getMessage());
        }
        if (cause instanceof DataFormatException format) {
            return new InvalidRequestException("Invalid FHIR content: " + clean(format.getMessage()));
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

    /** Java class names (java.lang.NumberFormatException, DataFormatException) in a message. */
    private static final Pattern CLASS_NAME = Pattern.compile(
            "\\b(?:[a-z][a-z0-9_]*\\.)+[A-Z]\\w*Exception\\b:?\\s*|\\b[A-Z]\\w*Exception\\b(?: at)?:?\\s*");

    /**
     * HAPI's parser puts the name of the Java exception it caught into its messages; the client
     * needs what is wrong with its content, not which class noticed.
     */
    static BaseServerResponseException withoutClassNames(BaseServerResponseException known) {
        if (known.getOperationOutcome() instanceof OperationOutcome outcome) {
            outcome.getIssue().forEach(issue -> issue.setDiagnostics(clean(issue.getDiagnostics())));
            return known;
        }
        String message = known.getMessage();
        String cleaned = clean(message);
        if (cleaned == null || cleaned.equals(message)) {
            return known;
        }
        BaseServerResponseException copy = new UnclassifiedServerFailureException(known.getStatusCode(), cleaned);
        if (known.hasResponseHeaders()) {
            known.getResponseHeaders().forEach((name, values) -> values.forEach(v -> copy.addResponseHeader(name, v)));
        }
        return copy;
    }

    private static String clean(String text) {
        return text == null ? null : CLASS_NAME.matcher(text).replaceAll("");
    }
}
