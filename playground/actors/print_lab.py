"""The print lab, as a lesson sees it from outside its API: the jobs it keeps
and an HTTP client of its own (its outgoing requests are recorded too, such as
a log shipped to a hosted log service)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from mock_servers.print_lab import PrintJob, PrintJobs


@dataclass
class PrintLab:
    http: httpx.Client
    url: str
    jobs: PrintJobs

    def all_jobs(self) -> list[PrintJob]:
        """Every print job the lab has queued, oldest first (its database)."""
        return self.jobs.all()
