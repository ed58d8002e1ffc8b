// The same pipeline composed by hand from the five constructs: everything WeatherPipeline does, spelled out.
import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  AthenaCatalog, City, GlueEtlJob, LandingZone, PipelineMonitoring, PipelineOrchestrator, RefinedLake, WeatherIngestion,
} from '../src';

const cities: City[] = [
  { name: 'Paris', latitude: 48.8566, longitude: 2.3522 },
  { name: 'Marseille', latitude: 43.2965, longitude: 5.3698 },
  { name: 'Nice', latitude: 43.7102, longitude: 7.262 },
];

export class WeatherByHandStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, { description: 'cdk-weather-pipeline example: the constructs composed by hand', ...props });

    const landing = new LandingZone(this, 'Landing');
    // The refined lake holds the one definition of the data: the cities (and the partition layout) every part reads.
    const refined = new RefinedLake(this, 'Refined', { cities, serverAccessLogsBucket: landing.accessLogsBucket });
    // The orchestrator runs the ingestion as its first step, so the function's own schedule stays off.
    const ingestion = new WeatherIngestion(this, 'Ingestion', { landingZone: landing, refinedLake: refined, scheduleEnabled: false });
    const etlJob = new GlueEtlJob(this, 'Etl', { landingZone: landing, refinedLake: refined });
    const catalog = new AthenaCatalog(this, 'Catalog', { refinedLake: refined });
    const orchestrator = new PipelineOrchestrator(this, 'Orchestrator', {
      etlJob,
      catalog,
      ingestion,
      notificationEmail: 'data-team@example.com',
    });
    // Alarms to the orchestrator's topic, run metrics and a dashboard.
    new PipelineMonitoring(this, 'Monitoring', { orchestrator, etlJob, ingestion, catalog });
  }
}
