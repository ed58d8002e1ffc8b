import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * Synthesizes the app with the cdk-nag AwsSolutions pack registered as a CDK validation plugin, and returns
 * every unacknowledged finding as `<construct path> <acknowledgement id>`. An empty list means nag-clean.
 */
export function nagFindings(app: App): string[] {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
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
