import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AthenaCatalog, City, GlueEtlJob, LandingZone, PipelineOrchestrator, PipelineOrchestratorProps, RefinedLake, WeatherIngestion } from '../../src';

export const cities: City[] = [
  { name: 'Lyon', latitude: 45.764, longitude: 4.8357 },
  { name: 'Oslo', latitude: 59.9139, longitude: 10.7522 },
];

export interface Pipeline {
  readonly app: App;
  readonly stack: Stack;
  readonly landing: LandingZone;
  readonly refined: RefinedLake;
  readonly etl: GlueEtlJob;
  readonly catalog: AthenaCatalog;
  readonly ingestion?: WeatherIngestion;
  readonly orchestrator: PipelineOrchestrator;
}

/** The zones, the ETL and the catalog, plus an orchestrator with the given props (ingestion when asked). */
export function pipeline(options: {
  ingestion?: boolean;
  /** The refined lake's cities (default: Lyon and Oslo). */
  cities?: City[];
  props?: Partial<PipelineOrchestratorProps>;
  /** Creates resources in the stack and returns more props. */
  customize?: (stack: Stack) => Partial<PipelineOrchestratorProps>;
} = {}): Pipeline {
  const app = new App();
  const stack = new Stack(app, 'Test');
  const landing = new LandingZone(stack, 'Landing');
  const refined = new RefinedLake(stack, 'Refined', { cities: options.cities ?? cities });
  const etl = new GlueEtlJob(stack, 'Etl', { landingZone: landing, refinedLake: refined });
  const catalog = new AthenaCatalog(stack, 'Catalog', { refinedLake: refined });
  const ingestion = options.ingestion
    ? new WeatherIngestion(stack, 'Ingestion', { landingZone: landing, refinedLake: refined, scheduleEnabled: false })
    : undefined;
  const orchestrator = new PipelineOrchestrator(stack, 'Orchestrator', {
    etlJob: etl,
    catalog,
    ingestion,
    ...options.props,
    ...options.customize?.(stack),
  });
  return { app, stack, landing, refined, etl, catalog, ingestion, orchestrator };
}

const templates = new WeakMap<Stack, { constructs: number; template: Template }>();

/**
 * `Template.fromStack(p.stack)`, synthesized once per pipeline: `Template.fromStack` synthesizes the app again on
 * every call (~1 s of CPU for a pipeline), and a test file reads one pipeline's template and definition several times.
 * A stack that gained constructs since is synthesized again.
 */
export function templateOf(p: Pipeline): Template {
  const constructs = p.stack.node.findAll().length;
  const known = templates.get(p.stack);
  if (known && known.constructs === constructs) {
    return known.template;
  }
  const template = Template.fromStack(p.stack);
  templates.set(p.stack, { constructs, template });
  return template;
}

/**
 * The synthesized ASL of the orchestrator's state machine: the template's `DefinitionString` with every
 * CloudFormation reference replaced by a placeholder (ARNs keep a valid shape).
 */
export function definitionOf(p: Pipeline): any {
  const template = templateOf(p);
  const machine = Object.values<any>(template.findResources('AWS::StepFunctions::StateMachine'))[0];
  const joined = machine.Properties.DefinitionString;
  const text = typeof joined === 'string' ? joined : joined['Fn::Join'][1].map(placeholder).join('');
  return JSON.parse(text);
}

function placeholder(part: any): string {
  if (typeof part === 'string') {
    return part;
  }
  if (part.Ref === 'AWS::Partition') {
    return 'aws';
  }
  if (part.Ref === 'AWS::Region') {
    return 'eu-west-1';
  }
  if (part.Ref === 'AWS::AccountId') {
    return '123456789012';
  }
  if (part.Ref === 'AWS::URLSuffix') {
    return 'amazonaws.com';
  }
  if (part.Ref) {
    return `ref-${String(part.Ref).toLowerCase().slice(0, 40)}`;
  }
  if (part['Fn::GetAtt']) {
    const [logicalId, attribute] = part['Fn::GetAtt'];
    if (attribute === 'Arn') {
      return `arn:aws:lambda:eu-west-1:123456789012:function:${logicalId}`;
    }
    return `${logicalId}-${attribute}`;
  }
  throw new Error(`unexpected token in the definition: ${JSON.stringify(part)}`);
}
