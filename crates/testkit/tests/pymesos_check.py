"""Independent cross-check of the Mesos simulator with PyPI's pymesos (HTTP scheduler API).

Usage: python3 pymesos_check.py 127.0.0.1:PORT
Subscribes, takes the first offer, launches `sleep 30` as a command task, prints every status
update state, and exits 0 once TASK_RUNNING was seen (1 on timeout or a terminal state).
"""

import logging
import os
import pwd
import sys
import threading

from pymesos import MesosSchedulerDriver, Scheduler

RESULT = {"ok": False}
DONE = threading.Event()


class Check(Scheduler):
    def __init__(self):
        self.launched = False

    def registered(self, driver, framework_id, master_info):
        print("SUBSCRIBED", framework_id["value"], flush=True)

    def resourceOffers(self, driver, offers):
        for offer in offers:
            if self.launched:
                driver.declineOffer(offer["id"], {"refuse_seconds": 60})
                continue
            self.launched = True
            task = {
                "task_id": {"value": "py-1"},
                "agent_id": {"value": offer["agent_id"]["value"]},
                "name": "pymesos-check",
                "command": {"value": "sleep 30"},
                "resources": [
                    {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
                    {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}},
                ],
            }
            print("OFFER", offer["hostname"], flush=True)
            driver.launchTasks(offer["id"], [task])

    def statusUpdate(self, driver, update):
        print(update["state"], update.get("uuid", "-"), flush=True)
        if update["state"] == "TASK_RUNNING":
            RESULT["ok"] = True
            DONE.set()
        elif update["state"] in ("TASK_FAILED", "TASK_LOST", "TASK_ERROR", "TASK_KILLED", "TASK_DROPPED"):
            DONE.set()

    def error(self, driver, message):
        print("ERROR", message, flush=True)
        DONE.set()


def main():
    logging.basicConfig(level=logging.WARNING)
    # An agent drops tasks of a user it does not know, as Mesos does: run as ourselves.
    user = pwd.getpwuid(os.geteuid()).pw_name
    framework = {"user": user, "name": "pymesos-check", "hostname": "127.0.0.1"}
    driver = MesosSchedulerDriver(Check(), framework, sys.argv[1], implicit_acknowledgements=True)
    driver.start()
    DONE.wait(45)
    driver.stop()
    driver.join()
    sys.exit(0 if RESULT["ok"] else 1)


if __name__ == "__main__":
    main()
