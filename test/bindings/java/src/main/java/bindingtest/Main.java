package bindingtest;

import java.util.List;
import java.util.stream.Collectors;

import io.github.cdkweatherpipeline.City;
import io.github.cdkweatherpipeline.WeatherPipeline;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.Token;

/**
 * The Java binding, used for real: the full WeatherPipeline for three cities, synthesized from Java.
 *
 * <p>Usage: Main OUTDIR. Writes the cloud assembly to OUTDIR; test/bindings/test_bindings.py asserts on it.
 */
public final class Main {
    public static void main(final String[] args) {
        final App app = new App(AppProps.builder().outdir(args[0]).build());
        final Stack stack = new Stack(app, "WeatherPipelineJava",
                StackProps.builder().description("cdk-weather-pipeline from Java").build());
        final WeatherPipeline pipeline = WeatherPipeline.Builder.create(stack, "Weather")
                .cities(List.of(
                        City.builder().name("Paris").latitude(48.8566).longitude(2.3522).timezone("Europe/Paris").build(),
                        City.builder().name("Marseille").latitude(43.2965).longitude(5.3698).timezone("Europe/Paris").build(),
                        City.builder().name("Nice").latitude(43.7102).longitude(7.2620).timezone("Europe/Paris").build()))
                .build();

        // Typed attributes cross the language boundary as the construct types they are.
        final List<String> names = pipeline.getCities().stream().map(City::getName).collect(Collectors.toList());
        check(names.equals(List.of("Paris", "Marseille", "Nice")), "cities: " + names);
        check(Token.isUnresolved(pipeline.getLandingZone().getBucket().getBucketName()), "landing bucket name is not a token");
        check(Token.isUnresolved(pipeline.getOrchestrator().getStateMachine().getStateMachineArn()), "state machine ARN is not a token");

        app.synth();
    }

    private static void check(final boolean condition, final String message) {
        if (!condition) {
            throw new AssertionError(message);
        }
    }
}
