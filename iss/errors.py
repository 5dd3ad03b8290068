"""Error types and the exit codes `iss` uses for them (documented in the README)."""

EXIT_OK = 0
EXIT_USAGE = 2          # bad input: missing/malformed ELF, bad platform file, bad arguments
EXIT_FAULT = 3          # the firmware faulted (unmapped access, illegal instruction, ...)
EXIT_LIMIT = 4          # --max-instructions / --max-cycles reached
EXIT_INTERRUPTED = 130  # Ctrl-C


class IssError(Exception):
    """An error the user can fix; printed as one line, never as a traceback."""
    exit_code = EXIT_USAGE


class ElfError(IssError):
    pass


class PlatformError(IssError):
    pass


class PeripheralError(IssError):
    """Firmware misprogrammed a peripheral (bad DMA command, accelerator misconfiguration):
    a fault of the firmware, reported like one (hart, pc, instruction) with the stats."""
    exit_code = EXIT_FAULT
