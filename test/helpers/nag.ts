import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * Runs the AwsSolutions pack over an app and returns every unacknowledged finding as
 * "<construct path> <rule id>: <message>". An empty list means the app is nag-clean.
 */
export function nagFindings(app: App): string[] {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth({ force: true });
    return [];
  } catch (error) {
    const message = String((error as Error).message);
    const findings = [...message.matchAll(/ERROR (.*)\n\s+(\S+) .*\n\s+Acknowledge with '(?:AwsSolutions::)?([^']+)'/g)].map(
      ([, text, path, id]) => `${path} ${id}: ${text}`,
    );
    if (findings.length === 0) throw error;
    return findings;
  }
}
