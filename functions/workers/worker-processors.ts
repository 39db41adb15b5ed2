import { unpackZip } from '../../shared/adapters/archive/unpack-zip';
import { convertXlsxToCsv } from '../../shared/adapters/excel/xlsx-to-csv';
import { sharpImageCodec } from '../../shared/adapters/image/sharp-image-codec';
import { ffmpegTranscoder } from '../../shared/adapters/media/ffmpeg-transcoder';
import type { QueueModality } from '../../shared/config/config';
import { MODALITY_PROCESSORS } from '../../shared/domain/datasets/ingestion/workers/modality-processors';
import type { ModalityProcessor } from '../../shared/domain/datasets/ingestion/workers/modality-processor';
import { makeAudioProcessor } from '../../shared/domain/datasets/ingestion/workers/audio-processor';
import { makeImageProcessor } from '../../shared/domain/datasets/ingestion/workers/image-processor';
import { makeVideoProcessor } from '../../shared/domain/datasets/ingestion/workers/video-processor';
import { makeTabularProcessor } from '../../shared/domain/datasets/ingestion/workers/tabular-processor';

/**
 * The processors the deployed and local workers run: the core ones, with the adapters they need
 * plugged in (the xlsx reader for tabular uploads; sharp and the zip reader for images; ffmpeg and the zip reader for audio and video). One table, so Lambda and `npm start` agree.
 */
export const WORKER_PROCESSORS: Record<QueueModality, ModalityProcessor> = {
  ...MODALITY_PROCESSORS,
  tabular: makeTabularProcessor({ xlsxToCsv: convertXlsxToCsv }),
  image: makeImageProcessor({ images: sharpImageCodec, unpackArchive: unpackZip }),
  audio: makeAudioProcessor({ transcoder: ffmpegTranscoder, unpackArchive: unpackZip }),
  video: makeVideoProcessor({ transcoder: ffmpegTranscoder, unpackArchive: unpackZip }),
};
