package org.carepath;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.ApplicationListener;

@SpringBootApplication
@ConfigurationPropertiesScan
public class CarePathApplication {

    public static void main(String[] args) {
        if (Boolean.parseBoolean(System.getenv().getOrDefault("CAREPATH_MIGRATE_ONLY", "false"))
                || Boolean.getBoolean("carepath.migrate-only")) {
            migrate(args);
            return;
        }
        SpringApplication application = new SpringApplication(CarePathApplication.class);
        // Once logging is set up, and before the context is built: see FhirModel.
        application.addListeners((ApplicationListener<ApplicationEnvironmentPreparedEvent>) event ->
                FhirModel.prepareInBackground());
        application.run(args);
    }

    /** Runs the Flyway migrations and exits: the release step a Helm hook Job runs once. */
    static void migrate(String[] args) {
        String[] withFlyway = java.util.Arrays.copyOf(args, args.length + 1);
        withFlyway[args.length] = "--spring.flyway.enabled=true";
        var context = new SpringApplicationBuilder(DatabaseMigration.class)
                .web(WebApplicationType.NONE)
                .run(withFlyway);
        System.exit(SpringApplication.exit(context));
    }
}
