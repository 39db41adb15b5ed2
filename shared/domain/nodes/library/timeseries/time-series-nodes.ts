import { featuresNode } from './features-node';
import { fillNode } from './fill-node';
import { forecastNode } from './forecast-node';
import { resampleNode } from './resample-node';

/** The time-series nodes: resampling, filling, features and forecasting. */
export const timeSeriesNodes = [resampleNode, fillNode, featuresNode, forecastNode];
