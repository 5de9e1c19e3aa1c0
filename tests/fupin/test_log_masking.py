"""No log line keeps a full ID number or phone: the filter, and every source of records reaching it."""

import logging
import sys
import threading
import urllib.request

import pytest
from celery import signals
from django.conf import settings
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer

from core.logging import PERSONAL_NUMBER, MaskPersonalNumbers, mask_personal_numbers
from fupin.celery import app
from tests.factories import make_id_number

ID_NUMBER = "62292619800517001X"
PHONE = "13893012345"


def filtered(msg, args=(), exc_info=None) -> logging.LogRecord:
    record = logging.LogRecord("test", logging.WARNING, __file__, 1, msg, args, exc_info)
    assert MaskPersonalNumbers().filter(record) is True
    return record


def test_ids_and_phones_are_masked_in_messages_and_arguments():
    assert mask_personal_numbers(f"id={ID_NUMBER} tel:{PHONE}") == "id=622926********001X tel:138****2345"
    assert mask_personal_numbers("旧号码622926800517001") == "旧号码622926*****7001"
    assert mask_personal_numbers(ID_NUMBER.lower()) == "622926********001x"
    record = filtered("查询 %s，电话 %s", (ID_NUMBER, int(PHONE)))
    assert record.getMessage() == "查询 622926********001X，电话 138****2345"


def test_a_gunicorn_access_line_with_dict_arguments_is_masked():
    atoms = {"h": "127.0.0.1", "r": f"GET /households/?q={ID_NUMBER} HTTP/1.1", "s": "200"}
    record = filtered('%(h)s "%(r)s" %(s)s', (atoms,))
    assert record.getMessage() == '127.0.0.1 "GET /households/?q=622926********001X HTTP/1.1" 200'


def test_other_numbers_are_left_alone():
    # 户编号 (16 digits), region codes (12), amounts, years and the number already masked.
    text = "户编号 6229261012010002 区划 622926101201 金额 2345678901.50 年 2020 138****2345 13893012345678"
    assert mask_personal_numbers(text) == text
    # The decimals of a duration are not a phone: Celery's "succeeded in 0.030396123456784727s".
    assert mask_personal_numbers("succeeded in 0.030396123456784727s") == "succeeded in 0.030396123456784727s"
    assert mask_personal_numbers("电话:13893012345。") == "电话:138****2345。"


def test_a_traceback_is_masked():
    try:
        raise ValueError(f"无效号码 {ID_NUMBER}")
    except ValueError:
        record = filtered("出错", exc_info=sys.exc_info())
    assert ID_NUMBER not in record.exc_text and "622926********001X" in record.exc_text
    assert ID_NUMBER not in logging.Formatter().format(record)


def test_the_celery_worker_handlers_get_the_filter():
    logger = logging.getLogger("tests.worker-root")
    handler = logging.StreamHandler()
    logger.addHandler(handler)
    try:
        signals.after_setup_logger.send(sender=None, logger=logger, loglevel=logging.INFO, logfile=None)
        signals.after_setup_task_logger.send(sender=None, logger=logger, loglevel=logging.INFO, logfile=None)
        assert sum(isinstance(f, MaskPersonalNumbers) for f in handler.filters) == 1
    finally:
        logger.removeHandler(handler)


def test_every_configured_handler_masks():
    names = set(settings.LOGGING["handlers"])
    handlers = [
        handler
        for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
        if isinstance(logger, logging.Logger)
        for handler in logger.handlers
        if handler.get_name() in names
    ]
    assert {handler.get_name() for handler in handlers} == names
    assert all(any(isinstance(f, MaskPersonalNumbers) for f in handler.filters) for handler in handlers)


@app.task(name="tests.fupin.explode")
def explode(number):
    raise ValueError(f"无效号码 {number}")


def serve_one_request(path: str) -> None:
    """runserver's request handler (the django.server logger) in a thread, for one request."""

    def application(environ, start_response):
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no"]

    server = WSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    server.set_app(application)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}{path}", timeout=10)
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.django_db
def test_the_session_log_gets_every_source_masked(client, session_log):
    """The app, django.request, django.server (runserver's request line) and Celery all reach the
    run's log file, masked: what the check at the end of the run greps is the real output."""
    number = make_id_number()
    phone = "15912345678"
    logging.getLogger("households.views").warning("probe-app %s %s", number, phone)
    assert client.get(f"/probe-request/{number}/{phone}/").status_code == 404
    serve_one_request(f"/probe-server/?q={number}&phone={phone}")
    explode.apply(args=[f"probe-celery {number} {phone}"])

    log = session_log.read_text(encoding="utf-8")
    for probe in ("probe-app", "probe-request", "probe-server", "probe-celery"):
        assert probe in log, probe
    assert number not in log and phone not in log
    assert number[:6] + "********" + number[-4:] in log and "159****5678" in log
    assert not PERSONAL_NUMBER.search(log)
