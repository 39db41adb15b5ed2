import type { QueueModality } from '../../../../config/config';
import { processAudio, processImage, processVideo } from './media-processors';
import { processSeismic } from './seismic-processor';
import type { ModalityProcessor } from './modality-processor';
import { processTabular } from './tabular-processor';
import { processTextDocuments } from './text-processor';
import { processTimeseries } from './timeseries-processor';

/** The processor behind each modality queue. */
export const MODALITY_PROCESSORS: Record<QueueModality, ModalityProcessor> = {
  tabular: processTabular,
  timeseries: processTimeseries,
  text: processTextDocuments,
  image: processImage,
  audio: processAudio,
  video: processVideo,
  seismic: processSeismic,
};
