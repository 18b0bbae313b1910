"""Who is acting, and what they may mark. Enforced by the domain API whatever the UI shows."""

from __future__ import annotations

from dataclasses import dataclass, field

from clearance.rules.catalogue import Stage

ROLES = {
    "admin": "系统管理员",
    "gradschool": "研究生院",
    "college": "学院工作人员",
    "office": "部门工作人员",
    "system": "系统",
}


@dataclass(frozen=True)
class Actor:
    username: str
    role: str
    display_name: str = ""
    college: str | None = None  # college staff only
    stages: frozenset[str] = field(default_factory=frozenset)  # stage ids they hold
    campus: str | None = None  # where they work (a card desk opens on this campus's desk)

    def may_mark(self, stage: Stage, student_college: str) -> bool:
        if self.role in ("system", "admin"):
            return True
        if stage.stage_id not in self.stages:
            return False
        if self.role == "college":
            return stage.scope == "college" and student_college == self.college
        if self.role == "office":
            return stage.scope == "school"
        return False  # graduate school reads everything and marks nothing

    def sees_college(self, college: str) -> bool:
        return self.role != "college" or college == self.college


SYSTEM = Actor(username="system", role="system", display_name="系统")
