"""Progress bar of a sweep on stderr (rich): points done / failed / remaining and the ETA.
Silent when stderr is not a terminal."""
from __future__ import annotations


class SweepProgress:
    def __init__(self, total: int, cached: int, title: str, enabled: bool | None = None):
        from rich.console import Console
        console = Console(stderr=True)
        self.enabled = console.is_terminal if enabled is None else enabled
        self.total, self.cached, self.done, self.failed = total, cached, 0, 0
        self._progress = None
        if self.enabled:
            from rich.progress import (BarColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)
            self._progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                                      TextColumn("{task.fields[counts]}"), TimeElapsedColumn(),
                                      TextColumn("ETA"), TimeRemainingColumn(),
                                      console=console, transient=False)
            self._task = self._progress.add_task(title, total=total, counts=self._counts())

    def _counts(self) -> str:
        text = (f"{self.done}/{self.total} done, {self.failed} failed, "
                f"{self.total - self.done} remaining")
        return text + (f", {self.cached} cached" if self.cached else "")

    def __enter__(self):
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.stop()

    def advance(self, ok: bool) -> None:
        self.done += 1
        self.failed += not ok
        if self._progress is not None:
            self._progress.update(self._task, completed=self.done, counts=self._counts())
