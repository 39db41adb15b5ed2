/** The `dataset.py` written beside a PyTorch export's arrays. */
export const PYTORCH_DATASET_SCRIPT = `"""A PyTorch Dataset over this export's arrays.

Usage (this file sits beside manifest.json and one folder per split):

    from torch.utils.data import DataLoader
    from dataset import ExportedDataset

    train = ExportedDataset(split="train")
    loader = DataLoader(train, batch_size=64, shuffle=True)
    for features, labels in loader:
        ...

Each item is (features, label): features a float32 tensor of len(train.feature_names) values
(missing values are NaN), the label an int64 class index (train.classes[i] names class i) or a
float32 number; an export without a label column yields features only. manifest.json records the
columns, the label mapping and, for a normalised export, the mean and standard deviation that
were applied to every feature ((x - mean) / std): apply the same to new inputs.
"""
import json
import os

import numpy as np
import torch
from torch.utils.data import Dataset

HERE = os.path.dirname(os.path.abspath(__file__))


class ExportedDataset(Dataset):
    def __init__(self, split="train", root=HERE):
        with open(os.path.join(root, "manifest.json"), encoding="utf-8") as f:
            self.manifest = json.load(f)
        if split not in self.manifest["splits"]:
            raise KeyError(f"no split {split!r}; this export has {sorted(self.manifest['splits'])}")
        entry = self.manifest["splits"][split]
        # Memory-mapped: items are read from disk as they are asked for.
        self.features = np.load(os.path.join(root, entry["features"]), mmap_mode="r")
        self.labels = np.load(os.path.join(root, entry["labels"]), mmap_mode="r") if entry["labels"] else None
        self.feature_names = [feature["name"] for feature in self.manifest["features"]]
        label = self.manifest["label"]
        self.classes = label["classes"] if label and label["task"] == "classification" else None

    def __len__(self):
        return self.features.shape[0]

    def __getitem__(self, index):
        features = torch.from_numpy(np.array(self.features[index]))
        if self.labels is None:
            return features
        return features, torch.as_tensor(np.array(self.labels[index]))
`;
