"""The lab's ``/metrics``: per-VDU/KDU CPU and memory as OSM's MON exports them to Prometheus.

Names and labels are OSM's (``osm_cpu_utilization``, ``osm_average_memory_utilization``; labels
``ns_id``, ``vnf_member_index``, ``vdu_name``, ``vim_id``, ``project_id``). Values follow the
injected load (:mod:`osm_locus.lab.faults`): each instance that is up carries load / instances,
capped at 100 %. A unit that is down exports no CPU/memory (a dead VM has none) and
``osm_vm_status`` 0, as OSM's MON reports a VM's status.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from osm_locus.lab.faults import IDLE_LOAD
from osm_locus.lab.state import LabState

LABELS = ["ns_id", "vnf_member_index", "vdu_name", "vim_id", "project_id"]
#: Memory in use at idle and per % of CPU (a service's working set grows with its load).
MEMORY_BASE, MEMORY_PER_CPU = 20.0, 0.5


def cpu_percent(load: float, instances: int) -> float:
    """CPU % of each of ``instances`` sharing ``load`` (in instances' worth)."""
    return min(100.0, 100.0 * load / instances) if instances else 0.0


def memory_percent(cpu: float) -> float:
    """Memory % of an instance at ``cpu`` % CPU."""
    return min(100.0, MEMORY_BASE + MEMORY_PER_CPU * cpu)


class LabCollector(Collector):
    """Reads the VNF records at each scrape."""

    def __init__(self, state: LabState) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        """One sample per running VDU instance and KDU replica."""
        cpu = GaugeMetricFamily(
            "osm_cpu_utilization", "CPU utilization of a VDU (%)", labels=LABELS
        )
        mem = GaugeMetricFamily(
            "osm_average_memory_utilization", "Memory utilization of a VDU (%)", labels=LABELS
        )
        status = GaugeMetricFamily(
            "osm_vm_status", "1 when the VDU's VM is ACTIVE, 0 otherwise", labels=LABELS
        )
        with self.state.lock:
            for vnfr in self.state.table("vnfrs").values():
                lab = vnfr.get("_lab", {})
                if not lab.get("demand"):
                    continue
                loads = lab.get("load", {})
                base = [
                    str(vnfr["nsr-id-ref"]),
                    str(vnfr["member-vnf-index-ref"]),
                ]
                project = str(vnfr["_admin"]["projects_read"][0])
                vim = str(vnfr["vim-account-id"])
                up = [v for v in vnfr["vdur"] if v["status"] == "ACTIVE"]
                for vdur in vnfr["vdur"]:
                    labels = [*base, str(vdur["name"]), vim, project]
                    status.add_metric(labels, 1.0 if vdur["status"] == "ACTIVE" else 0.0)
                for vdur in up:
                    unit = vdur["vdu-id-ref"]
                    peers = sum(1 for v in up if v["vdu-id-ref"] == unit)
                    value = cpu_percent(loads.get(unit, IDLE_LOAD), peers)
                    labels = [*base, str(vdur["name"]), vim, project]
                    cpu.add_metric(labels, value)
                    mem.add_metric(labels, memory_percent(value))
                for kdur in vnfr["kdur"]:
                    if kdur["status"] != "READY":
                        continue
                    name = str(kdur["kdu-name"])
                    replicas = int(lab.get("replicas", {}).get(name, 1))
                    value = cpu_percent(loads.get(name, IDLE_LOAD), replicas)
                    for replica in range(replicas):
                        labels = [*base, f"{name}-{replica}", vim, project]
                        cpu.add_metric(labels, value)
                        mem.add_metric(labels, memory_percent(value))
        yield cpu
        yield mem
        yield status
