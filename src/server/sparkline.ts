// ASCII sparklines, as Redis's sparkline.c draws them for LATENCY GRAPH: each sample is a column,
// its height quantized to `rows` text rows of three steps each (`_`, `-`/`o`, `` ` ``/`#`; filled
// graphs put `|` under the top), and each sample's label is written vertically below, one blank
// row under the graph. Sequences longer than `columns` wrap into several graphs one blank line
// apart, all scaled to the whole sequence's minimum and maximum.

export interface SparklineSample {
  value: number;
  /** Written vertically under the column; empty or absent for none. */
  label?: string | undefined;
}

const CHARSET = '_-`';
const CHARSET_FILL = '_o#';
const CHARSET_LENGTH = CHARSET.length;
const LABEL_MARGIN_TOP = 1;

/** sparklineRender: the whole sequence, `columns` samples per graph, `rows` text rows high. */
export function renderSparkline(
  samples: readonly SparklineSample[],
  columns: number,
  rows: number,
  fill: boolean,
): string {
  if (samples.length === 0) return '';
  let min = (samples[0] as SparklineSample).value;
  let max = min;
  let labels = 0;
  for (const sample of samples) {
    // sparklineSequenceAddSample's `if (< min) ... else if (> max)`: the same result for any input.
    if (sample.value < min) min = sample.value;
    else if (sample.value > max) max = sample.value;
    if (sample.label !== undefined && sample.label !== '') labels++;
  }
  let output = '';
  for (let offset = 0; offset < samples.length; offset += columns) {
    const length = Math.min(samples.length - offset, columns);
    if (offset !== 0) output += '\n';
    output += renderRange(samples, min, max, labels > 0, rows, offset, length, fill);
  }
  return output;
}

/** sparklineRenderRange: `length` samples from `offset`, scaled to the sequence's [min, max]. */
function renderRange(
  samples: readonly SparklineSample[],
  min: number,
  max: number,
  labeled: boolean,
  rows: number,
  offset: number,
  length: number,
  fill: boolean,
): string {
  let relmax = max - min;
  if (relmax === 0) relmax = 1;
  const steps = CHARSET_LENGTH * rows;
  const charset = fill ? CHARSET_FILL : CHARSET;
  const chars: string[] = new Array<string>(length);
  let output = '';
  for (let row = 0; ; row++) {
    let more = false;
    chars.fill(' ');
    for (let j = 0; j < length; j++) {
      const sample = samples[offset + j] as SparklineSample;
      // C: step = (int)(relval * steps) / relmax, stored in an int: truncated twice.
      let step = Math.trunc(Math.trunc((sample.value - min) * steps) / relmax);
      if (step < 0) step = 0;
      if (step >= steps) step = steps - 1;
      if (row < rows) {
        more = true;
        const index = step - (rows - row - 1) * CHARSET_LENGTH;
        if (index >= 0 && index < CHARSET_LENGTH) chars[j] = charset[index] as string;
        else if (fill && index >= CHARSET_LENGTH) chars[j] = '|';
      } else {
        // The blank row between the graph and the labels.
        if (labeled && row - rows < LABEL_MARGIN_TOP) {
          more = true;
          break;
        }
        const label = sample.label;
        if (label !== undefined) {
          const at = row - rows - LABEL_MARGIN_TOP;
          if (label.length > at) {
            more = true;
            chars[j] = label[at] as string;
          }
        }
      }
    }
    if (!more) return output;
    output += `${chars.join('')}\n`;
  }
}
