package org.carepath.search;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Search parameter parsing, from the query string to the SQL of a page, on any input: a client
 * mistake is a 4xx (HAPI's exceptions), never a NullPointerException, an arithmetic overflow or
 * any other failure that would reach the client as a 500. No database: the SQL is built, not run.
 *
 * <p>Without JAZZER_FUZZ this replays the inputs under
 * {@code src/test/resources/org/carepath/search/SearchParsingFuzzTestInputs}; see
 * docs/hardening.md to fuzz for real.
 */
class SearchParsingFuzzTest {

    /** Types whose parameters cover every kind: string, token, date, number, quantity, reference, uri. */
    private static final String[] TYPES = {"Patient", "Observation", "Procedure", "CarePlan", "Task", "Flag",
            "RiskAssessment", "QuestionnaireResponse", "ServiceRequest", "PlanDefinition", "Banana"};
    private static final SearchParameters PARAMETERS = new SearchParameters(FhirContext.forR4Cached(), java.util.List.of());
    private static final ResourceSearch SEARCH = new ResourceSearch(null, PARAMETERS);

    @FuzzTest(maxDuration = "3m")
    void anyQueryStringParsesOrIsAClientError(FuzzedDataProvider data) {
        String type = data.pickValue(TYPES);
        boolean paged = data.consumeBoolean();
        String cursor = paged ? data.consumeString(200) : null;
        String query = data.consumeRemainingAsString();
        try {
            SearchRequest request = SEARCH.parse(type, QueryStrings.parse(query));
            ResourceSearch.PageQuery page = SEARCH.pageQuery(request, cursor == null ? null : Cursor.decode(cursor), 20);
            assertThat(page.sql()).startsWith("SELECT");
        } catch (BaseServerResponseException e) {
            assertThat(e.getStatusCode()).as("status of %s", e).isBetween(400, 499);
        }
    }
}
