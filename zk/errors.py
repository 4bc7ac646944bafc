"""The zk package's exceptions."""

from __future__ import annotations

from typing import Any


class ZkError(Exception):
    """Root of every error the zk package raises."""


class ToolchainError(ZkError):
    """Raised when Node, zokrates-js or solc is missing, crashes, or answers something unexpected."""


class ZkTimeout(ZkError):
    """Raised when a step (compile, setup, prove...) runs past its deadline; the setting is named."""


class LimitExceeded(ZkError):
    """Raised when a source, an argument list, an answer or a program is larger than its setting allows."""


class CompileError(ZkError):
    """Raised when ZoKrates refuses a program; carries ZoKrates' message and the position it names."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def __reduce__(self) -> tuple[Any, ...]:  # keyword arguments survive pickling (a Ray task's error)
        return (_rebuild, (type(self), (self.message,), {"line": self.line, "column": self.column}))


class UnconstrainedInput(ZkError):
    """Raised when a public input of a program takes part in no constraint, so a proof binds nothing to it."""

    def __init__(self, message: str, *, names: tuple[str, ...]) -> None:
        super().__init__(message)
        self.names = names

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, {"names": self.names}))


class NotAJobProgram(ZkError):
    """Raised when a program's public inputs are not the job layout (docs/zk.md) or it returns a value."""


class WitnessError(ZkError):
    """Raised when the arguments do not satisfy the program: a failed assertion, or arguments of the wrong shape."""

    def __init__(self, message: str, *, assertion: bool) -> None:
        super().__init__(message)
        self.message = message
        self.assertion = assertion
        """True when an assertion of the program failed (the arguments had the right shape)."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), (self.message,), {"assertion": self.assertion}))


def _rebuild(cls: type[ZkError], args: tuple[Any, ...], kwargs: dict[str, Any]) -> ZkError:
    return cls(*args, **kwargs)


class SolidityError(ZkError):
    """Raised when solc refuses an exported verifier."""


class MalformedArtifact(ZkError, ValueError):
    """Raised when stored bytes are not a key, proof or program of the expected shape."""


class InvalidStatement(ZkError, ValueError):
    """Raised when a job statement's values do not fit its public-input layout (a commitment >= the field)."""
