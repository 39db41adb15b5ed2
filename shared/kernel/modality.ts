/**
 * The data modalities, listed once. Every modality but `multimodal` has an ingestion queue and a
 * worker of its own; a multimodal dataset's files are ingested through the queue of each file's
 * kind.
 */
export const MODALITIES = [
  'tabular',
  'text',
  'image',
  'audio',
  'video',
  'timeseries',
  'seismic',
  'multimodal',
] as const;
export type Modality = (typeof MODALITIES)[number];

export type QueueModality = Exclude<Modality, 'multimodal'>;
export const QUEUE_MODALITIES: readonly QueueModality[] = MODALITIES.filter(
  (modality): modality is QueueModality => modality !== 'multimodal',
);

export function isQueueModality(value: string): value is QueueModality {
  return (QUEUE_MODALITIES as readonly string[]).includes(value);
}
