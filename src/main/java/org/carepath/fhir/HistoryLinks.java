package org.carepath.fhir;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.InstantType;

/**
 * HAPI pages _history by offset. Versions written after the first page would shift every offset,
 * so the page links are pinned to the first page's moment with {@code _at=le<instant>}.
 */
@Interceptor
class HistoryLinks {

    @Hook(Pointcut.SERVER_OUTGOING_RESPONSE)
    public boolean pin(IBaseResource response) {
        if (!(response instanceof Bundle bundle) || bundle.getType() != Bundle.BundleType.HISTORY
                || !bundle.getMeta().hasLastUpdated()) {
            return true;
        }
        String published = new InstantType(bundle.getMeta().getLastUpdated()).getValueAsString();
        for (Bundle.BundleLinkComponent link : bundle.getLink()) {
            String url = link.getUrl();
            if (!link.getRelation().equals("self") && url != null && !url.contains("_at=")) {
                link.setUrl(url + (url.contains("?") ? "&" : "?") + "_at=le"
                        + java.net.URLEncoder.encode(published, java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return true;
    }
}
