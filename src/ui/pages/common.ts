import type { ExtractionJobRow, NodeVersionRow } from '../../db/schema.js';
import { badge } from '../layout.js';
import { html, type Html } from '../html.js';

/** The version status in words: Active versions need no badge. */
export function versionStatus(v: Pick<NodeVersionRow, 'status' | 'status_reason'>): Html {
  const word = v.status.replace('NodeVersionStatus', '');
  const tone = word === 'Active' ? 'ok' : word === 'Pending' || word === 'Flagged' ? 'warn' : 'bad';
  return html`${badge(word, tone)}${v.status_reason ? html` <span class="muted">${v.status_reason}</span>` : ''}`;
}

const EXTRACT_TONES: Record<string, 'ok' | 'warn' | 'bad' | 'info'> = { success: 'ok', pending: 'info', failed: 'bad', refused: 'bad' };

/** Why a version's comfy nodes are not there yet, from its archive and its extraction job. */
function pendingReason(v: Pick<NodeVersionRow, 'archive_key'>, job?: ExtractionJobRow): string {
  if (!v.archive_key) return 'waiting for the archive upload';
  if (!job) return 'not queued: an admin can backfill it';
  const tries = `${job.attempts} ${job.attempts === 1 ? 'attempt' : 'attempts'} so far`;
  const last = job.last_error ? `; last: ${job.last_error}` : '';
  if (job.state === 'running') return `being extracted (${tries})${last}`;
  if (job.state === 'failed') return `extraction gave up${last}`;
  return `queued for extraction (${tries})${last}`;
}

/** Extraction status, with its reason: why the comfy nodes are pending, missing or refused. */
export function extractionStatus(
  v: Pick<NodeVersionRow, 'comfy_node_extract_status' | 'comfy_node_extract_reason' | 'archive_key'>,
  job?: ExtractionJobRow,
): Html {
  const s = v.comfy_node_extract_status;
  const reason = v.comfy_node_extract_reason || (s === 'pending' ? pendingReason(v, job) : '');
  return html`${badge(`extraction: ${s}`, EXTRACT_TONES[s] ?? 'warn')}${reason ? html` <span class="muted">${reason}</span>` : ''}`;
}

/** The license as the pack declares it: `{"text": …}`, `{"file": …}` or plain text. */
export function licenseText(license: string): string {
  if (!license) return '';
  try {
    const v = JSON.parse(license);
    if (v && typeof v === 'object') return String(v.text ?? v.file ?? license);
    return String(v);
  } catch {
    return license;
  }
}

/** Link targets from pack metadata are only followed when they are http(s). */
export const safeUrl = (url: string): string | undefined => (/^https?:\/\//i.test(url) ? url : undefined);
