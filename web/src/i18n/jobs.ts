// Words of the jobs page, in English and Simplified Chinese.
export const jobs = {
  en: {
    "jobs.intro": "Generations waiting for or running at a provider now, refreshed every 2 seconds.",
    "jobs.empty": "The queue is empty: nothing is waiting or running.",
    "jobs.emptyType": "Nothing queued or running.",
    "jobs.position": "#{position} in the queue",
    "jobs.elapsed": "running for {time}",
    "jobs.progress": "Progress",
    "jobs.cancelJob": "Cancel job {id}",
    "jobs.cancelled": "Job {id} was cancelled; nothing was charged.",
    "jobs.runningHint": "A running job is already being charged and cannot be cancelled",
    "jobs.fellBack": "Fell back from {from}",
  },
  zh: {
    "jobs.intro": "正在排队或正在服务商处生成的任务，每 2 秒刷新一次。",
    "jobs.empty": "队列为空：没有排队或运行中的任务。",
    "jobs.emptyType": "没有排队或运行中的任务。",
    "jobs.position": "队列中第 {position} 位",
    "jobs.elapsed": "已运行 {time}",
    "jobs.progress": "进度",
    "jobs.cancelJob": "取消任务 {id}",
    "jobs.cancelled": "任务 {id} 已取消，未产生费用。",
    "jobs.runningHint": "运行中的任务已在计费，无法取消",
    "jobs.fellBack": "已从 {from} 回退",
  },
};
