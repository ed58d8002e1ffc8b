/**
 * Renders the layout of the PipelineMonitoring dashboard as an SVG picture for the README (docs/dashboard.svg).
 *
 * The picture is drawn from the dashboard body CDK synthesizes for the examples app's `WeatherStack` (Paris,
 * Marseille, Nice): every widget at its grid position and size, with its title, its series and its alarms.
 * It shows the layout, not data: nothing here reaches AWS.
 *
 *   npx ts-node --project tsconfig.dev.json scripts/render-dashboard.ts [out.svg]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { WeatherStack } from '../examples/weather-stack';

const COLUMN = 50; // px per dashboard grid column (24 columns)
const ROW = 34; // px per dashboard grid row
const MARGIN = 16;
const HEADER = 56;
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

interface Widget {
  readonly type: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: any;
}

/** The dashboard body with CloudFormation tokens rendered as `${Ref:Id}` / `${Id.Attr}` placeholders. */
export function dashboardWidgets(stack: Stack, dashboardBody: unknown): Widget[] {
  const body = stack.resolve(dashboardBody);
  const placeholder = (p: any) => (p.Ref ? `\${Ref:${p.Ref}}` : p['Fn::GetAtt'] ? `\${${p['Fn::GetAtt'].join('.')}}` : `\${${Object.keys(p)[0]}}`);
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : placeholder(p))).join('');
  return JSON.parse(text).widgets;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function clip(text: string, px: number, charPx = 6.6): string {
  const max = Math.floor(px / charPx);
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** One line per series: its label, else `namespace metric`. */
function seriesLabels(widget: Widget): string[] {
  const optionsOf = (metric: any[]) => metric.find((m) => typeof m === 'object' && m !== null && !Array.isArray(m)) ?? {};
  // Series hidden from the graph (inputs of a math expression) are not drawn.
  return (widget.properties.metrics ?? []).filter((metric: any[]) => optionsOf(metric).visible !== false).map((metric: any[]) => {
    const options = optionsOf(metric);
    if (options.expression) {
      return `${options.label ?? options.expression} = ${options.expression}`;
    }
    const [namespace, name] = metric.filter((m) => typeof m === 'string');
    const stat = options.stat ? ` (${options.stat})` : '';
    return `${options.label ?? name} · ${namespace}/${name}${stat}`;
  });
}

export function renderSvg(widgets: Widget[], alarmDescriptions: Map<string, string>, title: string): string {
  const width = 24 * COLUMN + 2 * MARGIN;
  const height = Math.max(...widgets.map((w) => w.y + w.height)) * ROW + HEADER + 2 * MARGIN;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`);
  out.push(`<rect width="${width}" height="${height}" fill="#f2f3f3"/>`);
  out.push(`<text x="${MARGIN}" y="${MARGIN + 20}" font-size="20" font-weight="bold" fill="#16191f">${escape(title)}</text>`);
  out.push(`<text x="${MARGIN}" y="${MARGIN + 40}" font-size="12" fill="#545b64">Layout drawn by scripts/render-dashboard.ts from the synthesized dashboard body (series and alarms, no data) · default range 14 days</text>`);
  for (const w of widgets) {
    const x = MARGIN + w.x * COLUMN + 3;
    const y = HEADER + MARGIN + w.y * ROW + 3;
    const wpx = w.width * COLUMN - 6;
    const hpx = w.height * ROW - 6;
    const kind = w.properties.view === 'bar' ? 'bar chart' : w.type === 'alarm' ? 'alarm status' : 'line chart';
    out.push(`<g><rect x="${x}" y="${y}" width="${wpx}" height="${hpx}" rx="4" fill="#ffffff" stroke="#d5dbdb"/>`);
    out.push(`<text x="${x + 10}" y="${y + 20}" font-size="14" font-weight="bold" fill="#16191f">${escape(clip(w.properties.title ?? '', wpx - 90, 8))}</text>`);
    out.push(`<text x="${x + wpx - 10}" y="${y + 20}" font-size="11" fill="#879596" text-anchor="end">${kind}${w.properties.stacked ? ', stacked' : ''}</text>`);
    if (w.type === 'alarm') {
      const alarms: string[] = w.properties.alarms.map((arn: string) => {
        const logicalId = /\$\{([A-Za-z0-9]+)\.Arn\}/.exec(arn)?.[1] ?? arn;
        return (alarmDescriptions.get(logicalId) ?? logicalId).replace(/^Weather pipeline: /, '');
      });
      const columns = w.width >= 12 ? 2 : 1;
      const chipWidth = (wpx - 20 - (columns - 1) * 8) / columns;
      alarms.forEach((description, i) => {
        const cx = x + 10 + (i % columns) * (chipWidth + 8);
        const cy = y + 30 + Math.floor(i / columns) * 22;
        if (cy + 18 > y + hpx) {
          return;
        }
        out.push(`<rect x="${cx}" y="${cy}" width="${chipWidth}" height="18" rx="3" fill="#f2f8f0" stroke="#1d8102"/>`);
        out.push(`<circle cx="${cx + 9}" cy="${cy + 9}" r="4" fill="#1d8102"/>`);
        out.push(`<text x="${cx + 18}" y="${cy + 13}" font-size="11" fill="#16191f">${escape(clip(description, chipWidth - 24, 5.6))}</text>`);
      });
    } else {
      // Faint gridlines where the chart is.
      for (let g = 1; g <= 3; g++) {
        const gy = y + hpx - 12 - g * ((hpx - 40) / 4) * 0.9;
        out.push(`<line x1="${x + 10}" y1="${gy.toFixed(1)}" x2="${x + wpx - 10}" y2="${gy.toFixed(1)}" stroke="#eaeded"/>`);
      }
      out.push(`<line x1="${x + 10}" y1="${y + hpx - 12}" x2="${x + wpx - 10}" y2="${y + hpx - 12}" stroke="#d5dbdb"/>`);
      const labels = seriesLabels(w);
      const room = Math.floor((hpx - 40) / 17);
      const shown = labels.length > room ? labels.slice(0, room - 1) : labels;
      shown.forEach((label, i) => {
        const ly = y + 42 + i * 17;
        out.push(`<rect x="${x + 10}" y="${ly - 12}" width="${wpx - 20}" height="16" fill="#ffffff"/>`);
        out.push(`<rect x="${x + 10}" y="${ly - 8}" width="14" height="4" fill="${PALETTE[i % PALETTE.length]}"/>`);
        out.push(`<text x="${x + 30}" y="${ly - 2}" font-size="11" fill="#16191f">${escape(clip(label, wpx - 40, 5.8))}</text>`);
      });
      if (shown.length < labels.length) {
        out.push(`<text x="${x + 30}" y="${y + 42 + shown.length * 17 - 2}" font-size="11" fill="#545b64">+ ${labels.length - shown.length} more series</text>`);
      }
      for (const annotation of w.properties.annotations?.horizontal ?? []) {
        out.push(`<text x="${x + wpx - 10}" y="${y + hpx - 10}" font-size="11" fill="${annotation.color ?? '#d62728'}" text-anchor="end">— ${escape(annotation.label)}: ${annotation.value}</text>`);
      }
    }
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

if (require.main === module) {
  // Synthesized into a folder of its own, removed at the end (an App without outdir leaves one in the temp directory).
  const outdir = mkdtempSync(join(tmpdir(), 'render-dashboard-'));
  const app = new App({ outdir });
  const stack = new WeatherStack(app, 'WeatherPipeline');
  const monitoring = stack.pipeline.monitoring!;
  const widgets = dashboardWidgets(stack, (monitoring.dashboard.node.defaultChild as any).dashboardBody);
  const alarms = Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm');
  const descriptions = new Map(Object.entries<any>(alarms).map(([id, alarm]) => [id, String(alarm.Properties.AlarmDescription)]));
  const out = process.argv[2] ?? join(__dirname, '..', 'docs', 'dashboard.svg');
  writeFileSync(out, renderSvg(widgets, descriptions, 'Weather pipeline — PipelineMonitoring dashboard (examples app: Paris, Marseille, Nice)'));
  console.log(`wrote ${out} (${widgets.length} widgets)`);
  rmSync(outdir, { recursive: true, force: true });
}
