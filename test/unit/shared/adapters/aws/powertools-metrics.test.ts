import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { PowertoolsMetrics } from '../../../../../shared/adapters/aws/powertools-metrics';

interface Emf {
  _aws: {
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

let write: MockInstance<typeof process.stdout.write>;

function emitted(): Emf[] {
  return write.mock.calls
    .map((call) => String(call[0]))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Emf);
}

beforeEach(() => {
  write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});

afterEach(() => {
  write.mockRestore();
});

describe('PowertoolsMetrics', () => {
  it('writes buffered metrics as one EMF document in the PipeWeave namespace on flush', () => {
    const metrics = new PowertoolsMetrics({ serviceName: 'pipeweave-api' });

    metrics.add('DatasetUploaded', 1);
    metrics.add('UploadBytes', 2048, 'Bytes');
    expect(emitted()).toHaveLength(0);
    metrics.flush();

    const [doc] = emitted();
    expect(doc?._aws.CloudWatchMetrics[0]?.Namespace).toBe('PipeWeave');
    expect(doc?._aws.CloudWatchMetrics[0]?.Metrics).toEqual([
      { Name: 'DatasetUploaded', Unit: 'Count' },
      { Name: 'UploadBytes', Unit: 'Bytes' },
    ]);
    expect(doc).toMatchObject({ service: 'pipeweave-api', DatasetUploaded: 1, UploadBytes: 2048 });
  });

  it('writes a metric with its own dimensions at once, apart from the buffered ones', () => {
    const metrics = new PowertoolsMetrics({ serviceName: 'pipeweave-worker' });

    metrics.add('NodeDuration', 1530, 'Milliseconds', { nodeType: 'train.random-forest' });

    const [doc] = emitted();
    expect(doc).toMatchObject({
      nodeType: 'train.random-forest',
      NodeDuration: 1530,
      service: 'pipeweave-worker',
    });
    expect(doc?._aws.CloudWatchMetrics[0]?.Dimensions[0]).toEqual(
      expect.arrayContaining(['service', 'nodeType']),
    );
  });

  it('writes nothing when there is nothing to flush', () => {
    new PowertoolsMetrics({ serviceName: 'pipeweave-api' }).flush();
    expect(emitted()).toHaveLength(0);
  });
});
