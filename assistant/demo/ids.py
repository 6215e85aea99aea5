"""Deterministic names and ids (instance ids, volume ids, pod suffixes, UIDs) from a seed."""

from __future__ import annotations

import random
import uuid

__all__ = ["Ids"]

_K8S_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # what Kubernetes uses for generated names


class Ids:
    """One seeded stream: the same seed and call order give the same ids."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._ip = 0
        self._node = 0

    def hex(self, n: int) -> str:
        return "".join(self._rng.choice("0123456789abcdef") for _ in range(n))

    def suffix(self, n: int = 5) -> str:
        return "".join(self._rng.choice(_K8S_ALPHABET) for _ in range(n))

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def instance_id(self) -> str:
        return "i-0" + self.hex(16)

    def volume_id(self) -> str:
        return "vol-0" + self.hex(16)

    def gpu_uuid(self) -> str:
        return "GPU-" + self.uuid()

    def node_name(self) -> str:
        self._node += 1
        return f"ip-10-0-{self._node // 250}-{self._node % 250 + 4}.ec2.internal"

    def pod_ip(self) -> str:
        self._ip += 1
        return f"10.1.{self._ip // 250 % 250}.{self._ip % 250 + 2}"
