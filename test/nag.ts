import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';

/** The cdk-nag rule packs a test can run. */
export enum NagPack {
  AWS_SOLUTIONS = 'AwsSolutions',
  NIST_800_53_R5 = 'NIST.800.53.R5',
}

/**
 * Synthesizes the app with cdk-nag rule packs (AwsSolutions unless told otherwise) registered as CDK validation
 * plugins, and returns every unacknowledged finding as `<construct path> <acknowledgement id>`. An empty list
 * means nag-clean.
 */
export function nagFindings(app: App, packs: NagPack[] = [NagPack.AWS_SOLUTIONS]): string[] {
  for (const pack of packs) {
    Validations.of(app).addPlugins(pack === NagPack.AWS_SOLUTIONS ? new AwsSolutionsChecks(app) : new NIST80053R5Checks(app));
  }
  try {
    app.synth({ force: true });
    return [];
  } catch (err) {
    const lines = (err as Error).message.split('\n').map((line) => line.trim()).filter((line) => line !== '');
    const findings: string[] = [];
    lines.forEach((line, index) => {
      const ack = /^Acknowledge with '(.+)'$/.exec(line);
      if (ack) {
        findings.push(`${lines[index - 1]?.split(' ')[0]} ${ack[1]}`);
      }
    });
    if (findings.length === 0) {
      throw err;
    }
    return findings;
  }
}

/** A fresh app and an environment-agnostic stack. */
export function newStack(id = 'Test'): { app: App; stack: Stack } {
  const app = new App();
  const stack = new Stack(app, id);
  return { app, stack };
}
