"""The Classifier family."""

from __future__ import annotations

from p4sfc_compiler.families.classifier.behaviour import build
from p4sfc_compiler.families.classifier.config import CLASSES, ClassifierConfig, parse
from p4sfc_compiler.families.classifier.lower import lower
from p4sfc_compiler.families.family import ElementFamily

CLASSIFIER: ElementFamily[ClassifierConfig] = ElementFamily(
    "classifier", CLASSES, parse, lower, behaviour=build
)
