import type { Database } from '../../db/database';
import type { Owner } from '../../db/owner-filter';
import { asRecord } from '../../kernel/as-record';
import { NotFoundError } from '../../kernel/app-error';
import type { BlobStore } from '../../ports/blob-store.port';
import { getJob } from './query-jobs';

export interface JobLeaderboard {
  nodeId: string;
  /** The search's leaderboard as the training node wrote it: metric, validation, rows ranked best first. */
  leaderboard: unknown;
}

/**
 * The leaderboards of a job's training nodes (model.automl, model.train), or of one of them. Each
 * is read from the node's `leaderboard` output; a node that has not finished has none yet.
 */
export async function getJobLeaderboards(
  deps: { db: Database; blobs: BlobStore },
  caller: Owner,
  jobId: string,
  nodeId?: string,
): Promise<JobLeaderboard[]> {
  const { nodes } = await getJob(deps.db, caller, jobId);
  const wanted = nodes.filter((node) => (nodeId ? node.nodeId === nodeId : true));
  if (nodeId && wanted.length === 0) throw new NotFoundError('Job node', nodeId);
  const out: JobLeaderboard[] = [];
  for (const node of wanted) {
    const key = asRecord(asRecord(asRecord(node.output)?.['outputs'])?.['leaderboard'])?.['key'];
    if (typeof key !== 'string') continue;
    const bytes = await deps.blobs.getBytes(key);
    out.push({
      nodeId: node.nodeId,
      leaderboard: JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown,
    });
  }
  return out;
}
